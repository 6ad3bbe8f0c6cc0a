// Validates an API document with an independent validator: openapi with
// @apidevtools/swagger-parser, asyncapi with @asyncapi/parser. Exit 0 when valid, else
// 1 with the problems on stderr. Usage: node validate_api.mjs openapi|asyncapi FILE
import { readFileSync } from "node:fs";

const [kind, file] = process.argv.slice(2);
const text = readFileSync(file, "utf8");

if (kind === "openapi") {
  const { default: SwaggerParser } = await import("@apidevtools/swagger-parser");
  try {
    await SwaggerParser.validate(JSON.parse(text));
    console.log("valid OpenAPI");
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
} else if (kind === "asyncapi") {
  const { Parser } = await import("@asyncapi/parser");
  const { diagnostics, document } = await new Parser().parse(text);
  const errors = diagnostics.filter((d) => d.severity === 0);  // 0: error; warnings are fine
  if (!document || errors.length) {
    for (const d of errors) console.error(`${d.path.join(".")}: ${d.message}`);
    process.exit(1);
  }
  console.log("valid AsyncAPI");
} else {
  console.error("usage: node validate_api.mjs openapi|asyncapi FILE");
  process.exit(2);
}

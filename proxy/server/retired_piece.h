#pragma once
// A piece of a runtime that a reload replaced: kept until nothing uses it any more
// and it is idle, then destroyed off the serving threads (its destructor may block).

namespace causeway::server {

struct RetiredPiece {
  virtual ~RetiredPiece() = default;
  virtual bool idle() const { return true; }
};

}  // namespace causeway::server

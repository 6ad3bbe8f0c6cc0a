#include "http_tls_test_pki.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <fstream>
#include <stdexcept>

namespace causeway::http::test_pki {

namespace {

struct FreeKey {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct FreeX509 {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
using Key = std::unique_ptr<EVP_PKEY, FreeKey>;
using Certificate = std::unique_ptr<X509, FreeX509>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what + " failed");
}

Key new_key() {
  Key key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EVP_EC_gen");
  return key;
}

std::string pem_of(const Certificate& certificate) {
  std::unique_ptr<BIO, int (*)(BIO*)> out(BIO_new(BIO_s_mem()), &BIO_free);
  check(PEM_write_bio_X509(out.get(), certificate.get()) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  const long length = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

std::string pem_of(const Key& key, const EVP_CIPHER* cipher = nullptr) {
  std::unique_ptr<BIO, int (*)(BIO*)> out(BIO_new(BIO_s_mem()), &BIO_free);
  static char password[] = "secret";
  check(PEM_write_bio_PrivateKey(out.get(), key.get(), cipher, nullptr, 0, nullptr, cipher ? password : nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  char* data = nullptr;
  const long length = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

void add_extension(X509* certificate, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  check(extension != nullptr, "X509V3_EXT_conf_nid");
  X509_add_ext(certificate, extension, -1);
  X509_EXTENSION_free(extension);
}

Certificate new_certificate(const std::string& common_name, long serial, EVP_PKEY* key) {
  Certificate certificate(X509_new());
  X509_set_version(certificate.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 24 * 3600);
  X509_set_pubkey(certificate.get(), key);
  X509_NAME* name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Causeway Tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                             -1, 0);
  return certificate;
}

}  // namespace

struct Authority::Handles {
  Key key;
  Certificate certificate;
};

Authority::Authority(const std::string& common_name) : handles_(std::make_unique<Handles>()) {
  static long serial = 1000;
  handles_->key = new_key();
  handles_->certificate = new_certificate(common_name, ++serial, handles_->key.get());
  X509* ca = handles_->certificate.get();
  X509_set_issuer_name(ca, X509_get_subject_name(ca));
  add_extension(ca, ca, NID_basic_constraints, "critical,CA:TRUE");
  add_extension(ca, ca, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(ca, ca, NID_subject_key_identifier, "hash");
  check(X509_sign(ca, handles_->key.get(), EVP_sha256()) > 0, "X509_sign");
  self_ = Issued{pem_of(handles_->certificate), pem_of(handles_->key)};
}

Authority::~Authority() = default;

Issued Authority::issue(const std::string& common_name, const std::vector<std::string>& names) const {
  static long serial = 5000;
  Key key = new_key();
  Certificate certificate = new_certificate(common_name, ++serial, key.get());
  X509_set_issuer_name(certificate.get(), X509_get_subject_name(handles_->certificate.get()));
  std::string alternative;
  for (const auto& name : names) {
    boost::system::error_code not_an_address;
    boost::asio::ip::make_address(name, not_an_address);
    alternative += (alternative.empty() ? "" : ",") + std::string(not_an_address ? "DNS:" : "IP:") + name;
  }
  add_extension(certificate.get(), handles_->certificate.get(), NID_basic_constraints, "CA:FALSE");
  if (!alternative.empty()) {
    add_extension(certificate.get(), handles_->certificate.get(), NID_subject_alt_name, alternative);
  }
  check(X509_sign(certificate.get(), handles_->key.get(), EVP_sha256()) > 0, "X509_sign");
  return Issued{pem_of(certificate), pem_of(key)};
}

std::string encrypted_key(const std::string& key_pem) {
  std::unique_ptr<BIO, int (*)(BIO*)> in(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())), &BIO_free);
  Key key(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr));
  check(key != nullptr, "PEM_read_bio_PrivateKey");
  return pem_of(key, EVP_aes_256_cbc());
}

PemDir::PemDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "causeway-tls-XXXXXX").string();
  check(mkdtemp(pattern.data()) != nullptr, "mkdtemp");
  path_ = pattern;
}

PemDir::~PemDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

config::FileSetting PemDir::write(const std::string& name, const std::string& text, int line) const {
  const auto file = path_ / name;
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
  return config::FileSetting{file.string(), config::Mark{line, 11}};
}

config::FileSetting PemDir::missing(const std::string& name, int line) const {
  return config::FileSetting{(path_ / name).string(), config::Mark{line, 11}};
}

}  // namespace causeway::http::test_pki

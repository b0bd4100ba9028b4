#include "tls_certs.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace respool::test {
namespace {

constexpr const char* kConfig = R"(
[req]
distinguished_name = dn
prompt = no
[dn]
CN = respool test
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
)";

// Run one openssl command in `dir`; throw with its output when it fails.
void openssl(const std::string& dir, const std::string& args) {
  const std::string log = dir + "/openssl.log";
  const std::string cmd = "cd '" + dir + "' && openssl " + args + " >'" + log + "' 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    std::ifstream f(log);
    std::stringstream ss;
    ss << f.rdbuf();
    throw std::runtime_error("TlsCerts: openssl " + args + " failed:\n" + ss.str());
  }
}

const char* kNewKey = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

void make_ca(const std::string& dir, const std::string& name, const std::string& cn) {
  openssl(dir, std::string("req -x509 -new ") + kNewKey + " -keyout " + name + ".key -out " + name +
                   ".crt -days 2 -config certs.cnf -extensions ca -subj '/CN=" + cn + "'");
}

void make_leaf(const std::string& dir, const std::string& name, const std::string& cn, int serial) {
  openssl(dir, std::string("req -new ") + kNewKey + " -keyout " + name + ".key -out " + name +
                   ".csr -config certs.cnf -subj '/CN=" + cn + "'");
  openssl(dir, "x509 -req -in " + name + ".csr -CA ca.crt -CAkey ca.key -set_serial " +
                   std::to_string(serial) + " -days 2 -extfile certs.cnf -extensions " + name + " -out " +
                   name + ".crt");
}

}  // namespace

TlsCerts::TlsCerts() {
  char tmpl[] = "/tmp/respool-tls-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("TlsCerts: mkdtemp failed");
  dir_ = tmpl;
  try {
    std::ofstream(dir_ + "/certs.cnf") << kConfig;
    make_ca(dir_, "ca", "respool test CA");
    make_leaf(dir_, "server", "localhost", 2);
    make_leaf(dir_, "client", "respool test client", 3);
    make_ca(dir_, "other-ca", "respool unrelated CA");
    std::filesystem::create_directory(dir_ + "/ca-dir");
    std::filesystem::copy_file(dir_ + "/ca.crt", dir_ + "/ca-dir/ca.crt");
    openssl(dir_, "rehash ca-dir");
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
}

TlsCerts::~TlsCerts() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

const TlsCerts& tls_certs() {
  static TlsCerts certs;
  return certs;
}

}  // namespace respool::test

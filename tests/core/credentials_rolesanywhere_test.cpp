// IAM Roles Anywhere: the CreateSession request edgeroute signs with a
// certificate's own key, checked by an independent verifier (the openssl command):
// the test rebuilds the canonical request and string to sign from what went on the
// wire, by the rules of "The IAM Roles Anywhere authentication signing process",
// and `openssl dgst -sha256 -verify` checks the signature with the certificate's
// public key, for an RSA and an ECDSA key. Then the refusals: a key that is not the
// certificate's, a key others may read, an endpoint that refuses. Keys are made
// for the test and never printed.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "edgeroute/credentials_remote.h"
#include "edgeroute/credentials_setup.h"
#include "edgeroute/mbedtls_crypto.h"
#include "edgeroute/mbedtls_x509.h"

namespace edgeroute {
namespace {

constexpr char kSecret[] = "rOlEsAnYwHeReSeCrEt/K7MDENG+bPxRfiCY01";
constexpr char kToken[] = "IQoJrolesanywhereSESSIONtoken0123456789";
constexpr std::int64_t kNow = 1764939600000;  // 2025-12-05T13:00:00Z
// Set as the certificates' serial number: 25 octets' worth of decimal digits.
constexpr char kSerial[] = "123456789012345678901234567890";

std::string answer() {
  return std::string(R"({"credentialSet": [{"assumedRoleUser": {"arn": "arn:aws:sts::111122223333:assumed-role/edge/x"},)"
                     R"( "credentials": {"accessKeyId": "ASIAROLESANYWHERE001", "secretAccessKey": ")") +
         kSecret + R"(", "sessionToken": ")" + kToken +
         R"(", "expiration": "2025-12-05T14:00:00Z"}, "roleArn": "arn:aws:iam::111122223333:role/edge"}],)"
         R"( "subjectArn": "arn:aws:rolesanywhere:eu-central-1:111122223333:subject/x"})";
}

struct Sent {
  std::string method, host, path, body;
  std::map<std::string, std::string> headers;
  int sends = 0;
};

class RecordingTransport final : public Transport {
 public:
  RecordingTransport(Sent* sent, int status, std::string body) : sent_(sent), status_(status), body_(std::move(body)) {}
  Status send(const HttpRequest& request, const HttpTimeouts& timeouts, HttpResponseSink* sink, HttpTiming*) override {
    ++sent_->sends;
    EXPECT_NE(timeouts.deadline_monotonic_ns, 0);
    sent_->method.assign(request.method);
    sent_->host.assign(request.host);  // as the Host header names it: the port unless 443
    if (request.port != 443) sent_->host.append(":").append(std::to_string(request.port));
    sent_->path.assign(request.path_and_query);
    sent_->body.assign(static_cast<const char*>(request.body), request.body_bytes);
    for (std::size_t i = 0; i < request.header_count; ++i) {
      sent_->headers[std::string(request.headers[i].name)] = std::string(request.headers[i].value);
    }
    Status st = sink->on_status(status_);
    if (st.ok()) st = sink->on_body(body_.data(), body_.size());
    return st;
  }

 private:
  Sent* sent_;
  int status_;
  std::string body_;
};

int run(const std::string& command) { return std::system(("( " + command + " ) >/dev/null 2>&1").c_str()); }

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string hex(const Digest32& d) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (std::uint8_t b : d.bytes) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 15]);
  }
  return s;
}

std::string sha256_hex(const std::string& text) {
  Digest32 d;
  mbedtls_crypto().sha256(text.data(), text.size(), &d);
  return hex(d);
}

class RolesAnywhereTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (run("openssl version") != 0) GTEST_SKIP() << "no openssl command to verify with";
    // One directory per test: ctest runs the tests of this suite side by side.
    char dir[] = "/tmp/edgeroute-rolesanywhere-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    // A CA, and leaves with RSA, EC and a second EC key, each issued by it.
    ASSERT_EQ(run("cd " + dir_ + " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
                  " -keyout ca.key -out ca.pem -days 2 -subj /CN=test-anchor"), 0);
    issue("rsa", "-newkey rsa:2048");
    issue("ec", "-newkey ec -pkeyopt ec_paramgen_curve:P-256");
    issue("other", "-newkey ec -pkeyopt ec_paramgen_curve:P-256");
    options_.region = "eu-central-1";
    options_.trust_anchor_arn = "arn:aws:rolesanywhere:eu-central-1:111122223333:trust-anchor/4579702c-9abb-47c2-88b2-c734e0b29539";
    options_.profile_arn = "arn:aws:rolesanywhere:eu-central-1:111122223333:profile/6f4943fb-13d4-4242-89c4-be367595c380";
    options_.role_arn = "arn:aws:iam::111122223333:role/edge-bedrock";
    options_.session_duration_s = 900;
  }
  void TearDown() override {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  void issue(const std::string& stem, const std::string& newkey) {
    ASSERT_EQ(run("cd " + dir_ + " && openssl req -x509 " + newkey + " -nodes -keyout " + stem + ".key -out " + stem +
                  ".pem -days 2 -subj /CN=" + stem + " -CA ca.pem -CAkey ca.key -set_serial " + kSerial),
              0);
    chmod((dir_ + "/" + stem + ".key").c_str(), 0600);
  }
  Status get(const std::string& cert, const std::string& key, int status, const std::string& body, Sent* sent,
             AwsCredentials* out) {
    RolesAnywhereOptions o = options_;
    o.certificate_file = dir_ + "/" + cert + ".pem";
    o.key_file = dir_ + "/" + key + ".key";
    RolesAnywhereCredentialsProvider p(o, std::make_unique<RecordingTransport>(sent, status, body), clock_,
                                       mbedtls_crypto(), mbedtls_x509());
    return p.get(kNow, out);
  }
  // Rebuilds the string to sign from the wire and verifies the signature with the
  // certificate's public key: 0 when openssl says it verifies.
  int verify_independently(const std::string& stem, const Sent& sent, const std::string& algorithm,
                           bool tamper = false) {
    const std::string auth = sent.headers.at("Authorization");
    const std::string date = sent.headers.at("X-Amz-Date");
    const std::string signed_headers = "content-type;host;x-amz-date;x-amz-x509";
    // As in SigV4, the key's ID (here the serial) prefixes the scope in the
    // Authorization header only, not in the string to sign.
    const std::string scope = date.substr(0, 8) + "/eu-central-1/rolesanywhere/aws4_request";
    EXPECT_EQ(auth.substr(0, auth.find("Signature=")),
              algorithm + " Credential=" + kSerial + "/" + scope + ", SignedHeaders=" + signed_headers + ", ");
    const std::string signature = auth.substr(auth.find("Signature=") + 10);
    const std::string canonical = "POST\n" + sent.path + "\n\ncontent-type:application/json\nhost:" + sent.host +
                                  "\nx-amz-date:" + date + "\nx-amz-x509:" + sent.headers.at("X-Amz-X509") + "\n\n" +
                                  signed_headers + "\n" + sha256_hex(sent.body);
    std::string string_to_sign = algorithm + "\n" + date + "\n" + scope + "\n" + sha256_hex(canonical);
    if (tamper) string_to_sign.back() = string_to_sign.back() == '0' ? '1' : '0';
    std::ofstream(dir_ + "/sts.txt", std::ios::binary) << string_to_sign;
    std::ofstream(dir_ + "/sig.hex") << signature;
    if (run("cd " + dir_ + " && xxd -r -p sig.hex sig.bin && openssl x509 -in " + stem +
            ".pem -pubkey -noout > pub.pem") != 0) {
      return -1;
    }
    return run("cd " + dir_ + " && openssl dgst -sha256 -verify pub.pem -signature sig.bin sts.txt");
  }
  std::string dir_;
  RolesAnywhereOptions options_;
  ManualClock clock_;
};

void expect_session_request(const std::string& dir, const std::string& stem, const Sent& sent) {
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.host, "rolesanywhere.eu-central-1.amazonaws.com");
  EXPECT_EQ(sent.path, "/sessions");
  EXPECT_EQ(sent.body,
            R"({"durationSeconds":900,"profileArn":"arn:aws:rolesanywhere:eu-central-1:111122223333:profile/)"
            R"(6f4943fb-13d4-4242-89c4-be367595c380","roleArn":"arn:aws:iam::111122223333:role/edge-bedrock",)"
            R"("trustAnchorArn":"arn:aws:rolesanywhere:eu-central-1:111122223333:trust-anchor/)"
            R"(4579702c-9abb-47c2-88b2-c734e0b29539"})");
  EXPECT_EQ(sent.headers.at("X-Amz-Date"), "20251205T130000Z");
  // X-Amz-X509: the leaf certificate's DER, base64, as openssl writes it.
  ASSERT_EQ(run("cd " + dir + " && openssl x509 -in " + stem + ".pem -outform DER | base64 -w0 > der.b64"), 0);
  EXPECT_EQ(sent.headers.at("X-Amz-X509"), read(dir + "/der.b64"));
  EXPECT_EQ(sent.headers.count("X-Amz-X509-Chain"), 0u);
}

TEST_F(RolesAnywhereTest, RsaSignatureVerifiesWithTheCertificatesPublicKey) {
  Sent sent;
  AwsCredentials creds;
  const Status s = get("rsa", "rsa", 201, answer(), &sent, &creds);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(creds.access_key_id(), "ASIAROLESANYWHERE001");
  EXPECT_EQ(creds.secret_access_key(), kSecret);
  EXPECT_EQ(creds.expiration_utc_ms(), kNow + 3600000);
  EXPECT_STREQ(creds.source(), "rolesanywhere");
  expect_session_request(dir_, "rsa", sent);
  EXPECT_EQ(verify_independently("rsa", sent, "AWS4-X509-RSA-SHA256"), 0);
  EXPECT_NE(verify_independently("rsa", sent, "AWS4-X509-RSA-SHA256", true), 0) << "the verifier can fail";
}

TEST_F(RolesAnywhereTest, EcdsaSignatureVerifiesWithTheCertificatesPublicKey) {
  Sent sent;
  AwsCredentials creds;
  const Status s = get("ec", "ec", 201, answer(), &sent, &creds);
  ASSERT_TRUE(s.ok()) << s.message();
  expect_session_request(dir_, "ec", sent);
  EXPECT_EQ(verify_independently("ec", sent, "AWS4-X509-ECDSA-SHA256"), 0);
  EXPECT_NE(verify_independently("ec", sent, "AWS4-X509-ECDSA-SHA256", true), 0) << "the verifier can fail";
}

// An endpoint behind a gateway that keeps a path prefix: the path signed is the
// path sent, so the signature verifies where the request arrives.
TEST_F(RolesAnywhereTest, AnEndpointsPathPrefixIsSentAndSigned) {
  options_.endpoint = "https://ra-gateway.example:8443/rolesanywhere/";
  Sent sent;
  AwsCredentials creds;
  const Status s = get("ec", "ec", 201, answer(), &sent, &creds);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(sent.path, "/rolesanywhere/sessions");
  EXPECT_EQ(verify_independently("ec", sent, "AWS4-X509-ECDSA-SHA256"), 0);
  Sent unprefixed = sent;
  unprefixed.path = "/sessions";
  EXPECT_NE(verify_independently("ec", unprefixed, "AWS4-X509-ECDSA-SHA256"), 0) << "the path is signed";

  options_.endpoint = "https://ra-gateway.example/rolesanywhere?x=1";
  Sent none;
  const Status refused = get("ec", "ec", 201, answer(), &none, &creds);
  EXPECT_EQ(refused.code(), Code::kInvalidArgument);
  EXPECT_NE(std::string(refused.message()).find("endpoint: expected no query"), std::string::npos) << refused.message();
  EXPECT_TRUE(none.path.empty()) << "nothing sent";
}

TEST_F(RolesAnywhereTest, TheChainTravelsSignedInXAmzX509Chain) {
  options_.chain_file = dir_ + "/ca.pem";  // any certificate will do for the wire shape
  Sent sent;
  AwsCredentials creds;
  ASSERT_TRUE(get("ec", "ec", 201, answer(), &sent, &creds).ok());
  ASSERT_EQ(run("cd " + dir_ + " && openssl x509 -in ca.pem -outform DER | base64 -w0 > ca.b64"), 0);
  EXPECT_EQ(sent.headers.at("X-Amz-X509-Chain"), read(dir_ + "/ca.b64"));
  EXPECT_NE(sent.headers.at("Authorization").find("SignedHeaders=content-type;host;x-amz-date;x-amz-x509;x-amz-x509-chain,"),
            std::string::npos);
}

TEST_F(RolesAnywhereTest, AKeyThatIsNotTheCertificatesIsRefusedBeforeSending) {
  Sent sent;
  AwsCredentials creds;
  const Status s = get("ec", "other", 201, answer(), &sent, &creds);
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  const std::string m = s.message();
  EXPECT_NE(m.find(dir_ + "/other.key"), std::string::npos) << m;
  EXPECT_NE(m.find("not the private key of the certificate"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos);
  EXPECT_EQ(sent.sends, 0);
  // The other key type is no better.
  EXPECT_EQ(get("rsa", "ec", 201, answer(), &sent, &creds).code(), Code::kPermissionDenied);
}

TEST_F(RolesAnywhereTest, AKeyReadableByOthersIsRefused) {
  chmod((dir_ + "/ec.key").c_str(), 0644);
  Sent sent;
  AwsCredentials creds;
  const Status s = get("ec", "ec", 201, answer(), &sent, &creds);
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_NE(std::string(s.message()).find("chmod 600"), std::string::npos) << s.message();
  EXPECT_EQ(sent.sends, 0);
}

TEST_F(RolesAnywhereTest, RefusalsAreOneLineNamingTheEndpointAndNoSecret) {
  Sent sent;
  AwsCredentials creds;
  Status s = get("ec", "ec", 403, R"({"message": "Untrusted signing certificate."})", &sent, &creds);
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  std::string m = s.message();
  EXPECT_NE(m.find("rolesanywhere.eu-central-1.amazonaws.com"), std::string::npos) << m;
  EXPECT_NE(m.find("Untrusted signing certificate."), std::string::npos) << m;
  EXPECT_NE(m.find(dir_ + "/ec.pem"), std::string::npos) << m;
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  s = get("ec", "ec", 201, R"({"credentialSet": []})", &sent, &creds);
  EXPECT_EQ(s.code(), Code::kParseError);
  s = get("ec", "ec", 503, "", &sent, &creds);
  EXPECT_EQ(s.code(), Code::kUnavailable);
  const std::string key_text = read(dir_ + "/ec.key");
  for (const std::string& text : {m, std::string(s.message())}) {
    EXPECT_EQ(text.find('\n'), std::string::npos);
    EXPECT_EQ(text.find(kSecret), std::string::npos);
    EXPECT_EQ(text.find(key_text.substr(40, 30)), std::string::npos);
  }
}

TEST_F(RolesAnywhereTest, BadSettingsAreNamed) {
  RolesAnywhereOptions o = options_;
  o.certificate_file = dir_ + "/ec.pem";
  o.key_file = dir_ + "/ec.key";
  auto check = [&](RolesAnywhereOptions bad) {
    Sent sent;
    RolesAnywhereCredentialsProvider p(std::move(bad), std::make_unique<RecordingTransport>(&sent, 201, answer()),
                                       clock_, mbedtls_crypto(), mbedtls_x509());
    return std::string(p.check().message());
  };
  EXPECT_EQ(check(o), "");
  RolesAnywhereOptions bad = o;
  bad.trust_anchor_arn = "arn:aws:iam::111122223333:role/edge";
  EXPECT_NE(check(bad).find("trust_anchor_arn"), std::string::npos);
  bad = o;
  bad.profile_arn.clear();
  EXPECT_NE(check(bad).find("profile_arn"), std::string::npos);
  bad = o;
  bad.role_arn = "edge";
  EXPECT_NE(check(bad).find("role_arn"), std::string::npos);
  bad = o;
  bad.session_duration_s = 60;
  EXPECT_NE(check(bad).find("900..43200"), std::string::npos);
  bad = o;
  bad.region = "EU central";
  EXPECT_NE(check(bad).find("region"), std::string::npos);
}

}  // namespace
}  // namespace edgeroute

// `edgeroute sign`: prints what edgeroute signs for a request, step by step, so
// that "the signature we calculated does not match" can be tracked down.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "commands.h"
#include "edgeroute/file.h"
#include "edgeroute/mbedtls_crypto.h"
#include "edgeroute/sigv4.h"
#include "signing_case.h"

namespace edgeroute {
namespace tool {
namespace {

constexpr const char kSignUsage[] =
    "usage: edgeroute sign --context FILE --request FILE [--mode header|query]\n"
    "                      [--show canonical-request|string-to-sign|signature|signed-request|all]\n"
    "                      [--reveal-secrets]\n"
    "\n"
    "Signs the request in FILE (the AWS SigV4 test-suite request.txt format) with the\n"
    "parameters in context.json and prints the result. Without --show it prints the\n"
    "signed request. The session token is masked unless --reveal-secrets is given.\n";

int fail(const char* what) {
  std::fprintf(stderr, "edgeroute sign: %s\n", what);
  return 1;
}

int usage_error(const char* format, const char* arg) {
  std::fprintf(stderr, "edgeroute sign: ");
  std::fprintf(stderr, format, arg);
  std::fprintf(stderr, " (see edgeroute sign --help)\n");
  return 2;
}

}  // namespace

int sign_command(int argc, char** argv) {
  std::string context_path, request_path;
  std::string show = "signed-request";
  sigv4::Mode mode = sigv4::Mode::kHeader;
  bool reveal = false;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string* out) -> bool {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kSignUsage, stdout);
      return 0;
    } else if (arg == "--context") {
      if (!value(&context_path)) return usage_error("%s needs a file", "--context");
    } else if (arg == "--request") {
      if (!value(&request_path)) return usage_error("%s needs a file", "--request");
    } else if (arg == "--mode") {
      std::string m;
      if (!value(&m)) return usage_error("%s needs header or query", "--mode");
      if (m == "header") {
        mode = sigv4::Mode::kHeader;
      } else if (m == "query") {
        mode = sigv4::Mode::kQuery;
      } else {
        return usage_error("--mode '%s': expected header or query", m.c_str());
      }
    } else if (arg == "--show") {
      if (!value(&show)) return usage_error("%s needs a value", "--show");
      if (show != "canonical-request" && show != "string-to-sign" && show != "signature" &&
          show != "signed-request" && show != "all") {
        return usage_error(
            "--show '%s': expected canonical-request, string-to-sign, signature, signed-request or all",
            show.c_str());
      }
    } else if (arg == "--reveal-secrets") {
      reveal = true;
    } else {
      return usage_error("unknown argument '%s'", arg.c_str());
    }
  }
  if (context_path.empty()) return usage_error("%s is required", "--context FILE");
  if (request_path.empty()) return usage_error("%s is required", "--request FILE");

  std::string text;
  Status st = read_file_bounded(context_path.c_str(), kMaxSigningContextBytes, "--context", &text);
  if (!st.ok()) return fail(st.message());
  SigningContext context;
  st = parse_context(text, &context);
  if (!st.ok()) return fail((context_path + ": " + st.message()).c_str());

  st = read_file_bounded(request_path.c_str(), kMaxSigningRequestBytes, "--request", &text);
  if (!st.ok()) return fail(st.message());
  RequestText request;
  st = parse_request(std::move(text), &request);
  if (!st.ok()) return fail((request_path + ": " + st.message()).c_str());

  const sigv4::Request req = request.request();
  const sigv4::Options options = context.options(mode);
  const sigv4::Credentials credentials = context.credentials();
  std::vector<char> buf(sigv4::required_buffer_bytes(req, options, credentials));
  sigv4::Signer signer(mbedtls_crypto());
  sigv4::SignedRequest signed_request;
  st = signer.sign(req, options, credentials, buf.data(), buf.size(), &signed_request);
  if (!st.ok()) return fail(st.message());

  const bool all = show == "all";
  auto section = [&](const char* title, std::string_view raw) {
    const std::string body = reveal ? std::string(raw) : mask_secret(std::string(raw), context.session_token);
    if (all) std::printf("# %s\n", title);
    std::fwrite(body.data(), 1, body.size(), stdout);
    std::fputc('\n', stdout);
    if (all) std::fputc('\n', stdout);
  };
  if (all || show == "canonical-request") section("canonical request", signed_request.canonical_request);
  if (all || show == "string-to-sign") section("string to sign", signed_request.string_to_sign);
  if (all || show == "signature") section("signature", signed_request.signature);
  if (all || show == "signed-request") {
    std::string out = format_signed_request(request, signed_request, mode);
    if (!reveal) out = mask_secret(std::move(out), context.session_token);
    if (all) std::printf("# signed request\n");
    std::fwrite(out.data(), 1, out.size(), stdout);
    if (!out.empty() && out.back() != '\n') std::fputc('\n', stdout);
  }
  secure_wipe(buf.data(), buf.size());
  return std::fflush(stdout) == 0 ? 0 : fail("cannot write to standard output");
}

}  // namespace tool
}  // namespace edgeroute

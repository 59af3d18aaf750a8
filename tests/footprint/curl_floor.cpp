// The floor for edgeroute's memory use: the same process shape as a routed call (a
// C++ program, libcurl over TLS, one POST to a Bedrock Runtime endpoint) with no
// edgeroute in it. scripts/rss compares the two processes' peak RSS.
//
//   curl_floor --url https://HOST:PORT/model/ID/converse --ca-bundle FILE
//
// Prints the HTTP status; exits 0 when a response came back (whatever its status:
// the request is not signed), 1 when the request failed.
#include <curl/curl.h>

#include <cstdio>
#include <cstring>

namespace {

std::size_t discard(char*, std::size_t size, std::size_t count, void*) { return size * count; }

}  // namespace

int main(int argc, char** argv) {
  const char* url = nullptr;
  const char* ca = nullptr;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--url") == 0) url = argv[i + 1];
    if (std::strcmp(argv[i], "--ca-bundle") == 0) ca = argv[i + 1];
  }
  if (url == nullptr || ca == nullptr) {
    std::fprintf(stderr, "curl_floor: usage: curl_floor --url URL --ca-bundle FILE\n");
    return 2;
  }
  static const char kBody[] = R"({"messages":[{"role":"user","content":[{"text":"Which region?"}]}]})";
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return 1;
  curl_slist* headers = curl_slist_append(nullptr, "content-type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, kBody);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 30000L);
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  curl_global_cleanup();
  if (rc != CURLE_OK) {
    std::fprintf(stderr, "curl_floor: %s\n", curl_easy_strerror(rc));
    return 1;
  }
  std::printf("%ld\n", status);
  return 0;
}

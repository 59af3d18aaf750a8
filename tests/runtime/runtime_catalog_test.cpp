// Where the routed client's catalog comes from: a file, or the built-in snapshot
// when the library carries one. A device whose build leaves the snapshot out
// (EDGEROUTE_BUILTIN_CATALOG=OFF) and gives no file is told so at create().
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "edgeroute/catalog.h"
#include "edgeroute/runtime.h"

namespace edgeroute {
namespace {

class NoCredentials final : public CredentialsProvider {
 public:
  Status get(std::int64_t, AwsCredentials* out) const override {
    *out = AwsCredentials::sigv4_keys("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "");
    return Status();
  }
};

class NoNetwork final : public Transport {
 public:
  Status send(const HttpRequest&, const HttpTimeouts&, HttpResponseSink*, HttpTiming*) override {
    return Status::error(Code::kUnavailable, "no network in this test");
  }
};

TEST(RuntimeCatalog, WithoutACatalogFileCreateUsesTheSnapshotOrSaysToGiveOne) {
  NoCredentials credentials;
  RuntimeOptions o;
  o.allow = "eu";
  o.credentials = &credentials;
  o.make_transport = [](std::unique_ptr<Transport>* out) {
    *out = std::make_unique<NoNetwork>();
    return Status();
  };
  std::unique_ptr<Runtime> runtime;
  const Status s = Runtime::create(o, &runtime);
  if (Catalog::has_default()) {
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_GT(runtime->catalog().model_count(), 0u);
    return;
  }
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(runtime, nullptr);
  EXPECT_NE(std::string(s.message()).find("built without the built-in catalog (EDGEROUTE_BUILTIN_CATALOG=OFF): "
                                          "give a catalog file"),
            std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace edgeroute

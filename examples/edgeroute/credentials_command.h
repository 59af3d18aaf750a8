// The tool's credentials: the library's sources (edgeroute/credentials_setup.h)
// over the libcurl transport, and `edgeroute credentials`.
#ifndef EDGEROUTE_EXAMPLES_CREDENTIALS_COMMAND_H
#define EDGEROUTE_EXAMPLES_CREDENTIALS_COMMAND_H

#include <memory>
#include <string>

#include "edgeroute/credentials_setup.h"

namespace edgeroute {
namespace tool {

// The sources `options` names behind one cache, reaching endpoints with ca_bundle
// as the trust store; fetched once before it returns (a failed fetch is left to
// the first call to report).
Status tool_credentials(const CredentialsOptions& options, const std::string& ca_bundle,
                        std::unique_ptr<CredentialsSetup>* out);

}  // namespace tool
}  // namespace edgeroute

#endif  // EDGEROUTE_EXAMPLES_CREDENTIALS_COMMAND_H

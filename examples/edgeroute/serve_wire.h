// The Bedrock Runtime wire as `edgeroute serve` speaks it to local applications:
// Converse request bodies into the routed client's request, its answers back
// into Converse response bodies and ConverseStream / InvokeModelWithResponseStream
// event-stream frames, and Bedrock-shaped errors (botocore's bedrock-runtime
// model: shapes, event names, error names and statuses).
#ifndef EDGEROUTE_EXAMPLES_SERVE_WIRE_H
#define EDGEROUTE_EXAMPLES_SERVE_WIRE_H

#include <string>
#include <string_view>

#include "edgeroute/bedrock.h"
#include "edgeroute/status.h"

namespace edgeroute {
namespace tool {

// A Converse / ConverseStream request body. kInvalidArgument naming the member
// for malformed JSON or a member serve does not pass on (guardrailConfig, ...).
Status parse_converse_body(std::string_view body, bedrock::ConverseRequest* out);

// The Converse response body for an answer.
std::string converse_response_body(const bedrock::ConverseResponse& r);

// One event-stream frame of a ConverseStream event, appended to *out.
Status converse_event_frame(const bedrock::StreamEvent& event, std::string* out);
// One InvokeModelWithResponseStream "chunk" frame ({"bytes": base64}).
Status chunk_frame(std::string_view chunk, std::string* out);
// An exception frame (a stream that failed after its first event); `type` is
// the modelled event name, e.g. "throttlingException".
Status exception_frame(std::string_view type, std::string_view message, std::string* out);

// How an error is told to the local client.
struct WireError {
  int status = 400;
  std::string type = "ValidationException";  // x-amzn-ErrorType's name
  std::string message;
};
// The client's error as Bedrock would answer it: the service's own status and
// type when it answered, else the class's usual ones.
WireError wire_error(const bedrock::Error& error);
// {"message": ...}
std::string error_body(const std::string& message);
// The stream exception event name for an error ("throttlingException", ...).
const char* stream_exception_type(const bedrock::Error& error);

}  // namespace tool
}  // namespace edgeroute

#endif  // EDGEROUTE_EXAMPLES_SERVE_WIRE_H

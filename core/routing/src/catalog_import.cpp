// Inference-profile listings -> catalog schema (edgeroute/catalog_import.h).
// Field names follow botocore's `bedrock` service model (InferenceProfileSummary,
// GetInferenceProfileResponse, InferenceProfileModel).
#include "edgeroute/catalog_import.h"

#include <cjson/cJSON.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>

#include "edgeroute/catalog.h"

namespace edgeroute {
namespace {

struct Source {
  std::string region;
  std::vector<std::string> destinations;  // in AWS's order, without repeats
  std::string file;                       // where it was first seen
};

struct Profile {
  std::string id;
  std::string model;
  std::string geography;
  std::vector<Source> sources;
};

// The parts of an ARN: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE. The resource
// may itself contain ':' (model IDs end in ":0"), so only five are split off.
struct Arn {
  std::string_view service, region, account, resource;
};

bool parse_arn(std::string_view text, Arn* arn) {
  std::string_view parts[5];
  for (std::string_view& part : parts) {
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) return false;
    part = text.substr(0, colon);
    text.remove_prefix(colon + 1);
  }
  // The region may be empty: a global profile lists its model as
  // arn:aws:bedrock:::foundation-model/MODEL ("any commercial region").
  if (parts[0] != "arn" || parts[1].empty()) return false;
  *arn = Arn{parts[2], parts[3], parts[4], text};
  return true;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

class Importer {
 public:
  Importer(ImportResult* result, std::string* error) : result_(result), error_(error) {}

  bool add_file(const ImportFile& file) {
    file_ = &file;
    std::unique_ptr<cJSON, decltype(&cJSON_Delete)> root(
        cJSON_ParseWithLength(file.text.data(), file.text.size()), cJSON_Delete);
    if (!root || !cJSON_IsObject(root.get())) return fail("", "expected a JSON object (aws ... --output json)");
    // Lookups see the first of a repeated key; a second "models" or "type" would be
    // ignored silently, so a listing that says something twice is refused.
    if (!refuse_duplicate_keys(root.get(), "")) return false;
    const cJSON* list = cJSON_GetObjectItemCaseSensitive(root.get(), "inferenceProfileSummaries");
    // A page that continues a listing: every profile in it must come from the
    // region whose listing the previous file left open.
    expected_region_ = listing_open_ ? open_region_ : std::string();
    const bool continues = listing_open_;
    if (list != nullptr) {
      // nextToken: the service's (a page printed with --no-paginate); NextToken:
      // the AWS CLI's own, after --max-items.
      const cJSON* next = cJSON_GetObjectItemCaseSensitive(root.get(), "nextToken");
      if (next == nullptr) next = cJSON_GetObjectItemCaseSensitive(root.get(), "NextToken");
      if (next != nullptr && !cJSON_IsNull(next) && !cJSON_IsString(next)) {
        return fail("nextToken", "expected a string");
      }
      if (!cJSON_IsArray(list)) return fail("inferenceProfileSummaries", "expected a list");
      page_region_.clear();
      int index = 0;
      for (const cJSON* summary = list->child; summary != nullptr; summary = summary->next, ++index) {
        if (!add_summary(summary, "inferenceProfileSummaries[" + std::to_string(index) + "]")) return false;
      }
      listing_open_ = next != nullptr && cJSON_IsString(next);
      if (listing_open_) {
        open_file_ = file.name;
        if (!page_region_.empty()) open_region_ = page_region_;
        if (!continues && page_region_.empty()) open_region_.clear();
      }
      return true;
    }
    if (continues) {
      return fail("", "expected the next page of " + open_file_ + "'s listing, which ends with a nextToken");
    }
    if (cJSON_GetObjectItemCaseSensitive(root.get(), "inferenceProfileArn") != nullptr) {
      return add_summary(root.get(), "");
    }
    return fail("", "expected the output of aws bedrock list-inference-profiles or get-inference-profile");
  }

  std::string render(const std::string& date, const std::string& snapshot_source, const std::vector<ImportFile>& files) const {
    std::string note = "read from";
    for (std::size_t i = 0; i < files.size(); ++i) note += (i == 0 ? " " : ", ") + files[i].name;
    std::string out = "{\n  \"snapshot\": {\n    \"date\": " + json_string(date) +
                      ",\n    \"source\": " + json_string(snapshot_source) + ",\n    \"note\": " +
                      json_string(note) + "\n  },\n  \"profiles\": [";
    for (std::size_t p = 0; p < profiles_.size(); ++p) {
      const Profile& profile = profiles_[p];
      out += p == 0 ? "\n" : ",\n";
      out += "    {\n      \"id\": " + json_string(profile.id) + ",\n      \"model\": " +
             json_string(profile.model) + ",\n      \"geography\": " + json_string(profile.geography) +
             ",\n      \"sources\": {";
      for (std::size_t s = 0; s < profile.sources.size(); ++s) {
        const Source& source = profile.sources[s];
        out += s == 0 ? "\n" : ",\n";
        out += "        " + json_string(source.region) + ": [";
        for (std::size_t d = 0; d < source.destinations.size(); ++d) {
          out += (d == 0 ? "" : ", ") + json_string(source.destinations[d]);
        }
        out += "]";
      }
      out += "\n      }\n    }";
    }
    out += profiles_.empty() ? "]\n}\n" : "\n  ]\n}\n";
    return out;
  }

 private:
  bool add_summary(const cJSON* summary, const std::string& path) {
    const std::string prefix = path.empty() ? "" : path + ".";
    if (!cJSON_IsObject(summary)) return fail(path, "expected an object");
    const char* type = string_field(summary, "type");
    if (type == nullptr) return fail(prefix + "type", "expected SYSTEM_DEFINED or APPLICATION");
    if (std::string_view(type) == "APPLICATION") {
      ++result_->skipped_application_profiles;
      return true;
    }
    if (std::string_view(type) != "SYSTEM_DEFINED") {
      return fail(prefix + "type", "expected SYSTEM_DEFINED or APPLICATION");
    }
    const char* status = string_field(summary, "status");
    if (status == nullptr || *status == '\0') return fail(prefix + "status", "expected a status such as ACTIVE");
    const char* id = string_field(summary, "inferenceProfileId");
    if (id == nullptr || *id == '\0') return fail(prefix + "inferenceProfileId", "expected a profile ID");
    // System-defined profile IDs are "<geography>.<model ID>".
    const std::string_view id_view(id);
    const std::size_t dot = id_view.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == id_view.size()) {
      return fail(prefix + "inferenceProfileId", "expected GEOGRAPHY.MODEL (e.g. eu.anthropic...)");
    }
    const char* arn_text = string_field(summary, "inferenceProfileArn");
    Arn arn;
    if (arn_text == nullptr || !parse_arn(arn_text, &arn) || arn.service != "bedrock" ||
        arn.resource != "inference-profile/" + std::string(id_view)) {
      return fail(prefix + "inferenceProfileArn",
                  "expected arn:aws:bedrock:REGION:ACCOUNT:inference-profile/" + std::string(id_view));
    }
    const cJSON* models = cJSON_GetObjectItemCaseSensitive(summary, "models");
    if (!cJSON_IsArray(models) || models->child == nullptr) {
      return fail(prefix + "models", "expected a non-empty list");
    }
    if (!is_region_name(arn.region)) {
      return fail(prefix + "inferenceProfileArn", "expected a region name in the ARN, not '" +
                                                      std::string(arn.region).substr(0, 32) + "'");
    }
    if (!expected_region_.empty() && arn.region != expected_region_) {
      return fail(prefix + "inferenceProfileArn", "a profile of " + std::string(arn.region) +
                                                      ", but this page continues " + open_file_ + "'s listing of " +
                                                      expected_region_);
    }
    page_region_ = std::string(arn.region);
    if (std::string_view(status) != "ACTIVE") {
      ++result_->skipped_inactive_profiles;
      return true;
    }
    ++result_->imported_profile_sources;
    Source source{std::string(arn.region), {}, file_->name};
    std::string model;
    int index = 0;
    for (const cJSON* m = models->child; m != nullptr; m = m->next, ++index) {
      const std::string field = prefix + "models[" + std::to_string(index) + "].modelArn";
      const char* model_arn_text = cJSON_IsObject(m) ? string_field(m, "modelArn") : nullptr;
      Arn model_arn;
      constexpr std::string_view kFoundation = "foundation-model/";
      if (model_arn_text == nullptr || !parse_arn(model_arn_text, &model_arn) ||
          model_arn.service != "bedrock" || model_arn.resource.substr(0, kFoundation.size()) != kFoundation ||
          model_arn.resource.size() == kFoundation.size()) {
        return fail(field, "expected arn:aws:bedrock:REGION::foundation-model/MODEL");
      }
      // An empty region: any commercial region, the catalog's `global` set.
      const std::string destination = model_arn.region.empty() ? std::string("global") : std::string(model_arn.region);
      if (!model_arn.region.empty() && !is_region_name(model_arn.region)) {
        return fail(field, "expected a region name in the ARN, not '" + std::string(model_arn.region).substr(0, 32) + "'");
      }
      const std::string_view this_model = model_arn.resource.substr(kFoundation.size());
      if (model.empty()) {
        model = std::string(this_model);
      } else if (this_model != model) {
        return fail(field, "model " + std::string(this_model) + " differs from models[0]'s " + model);
      }
      bool seen = false;
      for (const std::string& d : source.destinations) seen = seen || d == destination;
      if (!seen) source.destinations.push_back(destination);
    }
    return merge(std::string(id_view), model, std::string(id_view.substr(0, dot)), std::move(source),
                 prefix + "inferenceProfileId");
  }

  bool merge(const std::string& id, const std::string& model, const std::string& geography, Source source,
             const std::string& field) {
    for (Profile& profile : profiles_) {
      if (profile.id != id) continue;
      if (profile.model != model) {
        return fail(field, id + ": model " + model + " differs from " + profile.model + " in " +
                               profile.sources.front().file);
      }
      for (const Source& known : profile.sources) {
        if (known.region != source.region) continue;
        // The same listing twice is harmless; two different answers for one
        // source leave the destinations unknown.
        if (known.destinations != source.destinations) {
          return fail(field, id + " from " + source.region + ": destinations differ from " + known.file);
        }
        return true;
      }
      profile.sources.push_back(std::move(source));
      return true;
    }
    profiles_.push_back(Profile{id, model, geography, {std::move(source)}});
    return true;
  }

  bool refuse_duplicate_keys(const cJSON* node, const std::string& path) {
    int index = 0;
    for (const cJSON* item = node->child; item != nullptr; item = item->next, ++index) {
      std::string here = path;
      if (cJSON_IsObject(node)) {
        here += (here.empty() ? "" : ".") + std::string(item->string).substr(0, 64);
        for (const cJSON* before = node->child; before != item; before = before->next) {
          if (std::strcmp(before->string, item->string) == 0) return fail(here, "given twice");
        }
      } else {
        here += "[" + std::to_string(index) + "]";
      }
      if ((cJSON_IsObject(item) || cJSON_IsArray(item)) && !refuse_duplicate_keys(item, here)) return false;
    }
    return true;
  }

  static const char* string_field(const cJSON* object, const char* name) {
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsString(item) ? item->valuestring : nullptr;
  }

  // One line, whatever the listing held: IDs and keys quoted from it may carry
  // control characters (JSON escapes), which are shown as '?'.
  bool fail(const std::string& field, const std::string& what) {
    *error_ = file_->name + ": " + (field.empty() ? "" : field + ": ") + what;
    for (char& c : *error_) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    return false;
  }

  ImportResult* result_;
  std::string* error_;
  const ImportFile* file_ = nullptr;
  // Paging: whether the last file ended with a token, whose file and region.
  bool listing_open_ = false;
  std::string open_file_, open_region_;
  std::string expected_region_;  // "" unless the current page continues a listing
  std::string page_region_;      // the region of the current page's profiles

 public:
  // After the last file: a listing left open is incomplete.
  bool finish() {
    if (!listing_open_) return true;
    *error_ = open_file_ + ": nextToken: the listing is incomplete (give its next pages too, or list without "
                           "--max-items or --no-paginate)";
    return false;
  }

 private:
  std::vector<Profile> profiles_;
};

}  // namespace

bool import_inference_profiles(const std::vector<ImportFile>& files, const std::string& date,
                               ImportResult* result, std::string* error, const std::string& source) {
  *result = ImportResult();
  Importer importer(result, error);
  for (const ImportFile& file : files) {
    if (!importer.add_file(file)) return false;
  }
  if (!importer.finish()) return false;
  result->catalog_json = importer.render(date, source, files);
  return true;
}

}  // namespace edgeroute

#!/usr/bin/env python3
"""Differential test: edgeroute's SigV4 signer against botocore's SigV4Auth.

Generates random Bedrock-shaped requests (fixed seed), signs each with botocore
exactly as a bedrock-runtime client would (the rest-json serializer builds the
path, prepare_request_dict the URL and query string, SigV4Auth signs), feeds all
of them to sigv4_diff_driver (edgeroute's signer) in one process, and compares
the signature and the Authorization header value of every case.

    diff_botocore.py --driver build/.../sigv4_diff_driver [--cases 1000] [--seed N]

Exit status: 0 when every case matches, 1 on any mismatch or driver error, 2 on
a usage or setup error, 77 (ctest's skip) when botocore is not importable.

What the generator covers: Converse, ConverseStream, InvokeModel,
InvokeModelWithResponseStream and CountTokens on model IDs with ':', profile IDs
(eu./us./apac./global.), foundation-model, inference-profile and other ARNs
(':' travels as %3A, '/' as %2F, and the signer encodes them again), repeated
and mixed-case header names, whitespace-laden values, random query strings
(reserved characters, UTF-8, repeated keys, empty values), bodies of 0..64 KiB
(JSON and random bytes), with and without a ~600-byte session token, six regions,
times in 2015..2030, and runs of cases that share a signing day, region and
access key so the signer's key cache is hit, including a secret rotated under
the same access key ID.

Inputs left out on purpose, because botocore is not a reference for them (each
is a botocore policy or quirk, not the SigV4 specification; see the comments
at the generator):
  - headers in botocore's SIGNED_HEADERS_BLACKLIST (User-Agent, Expect, ...):
    botocore never signs them, edgeroute signs what the caller passes;
  - a Date header: botocore then signs Date *instead of* adding X-Amz-Date;
  - an x-amz-content-sha256 header whose value is not the body's hash:
    botocore signs the header's value as the payload hash;
  - header values with bytes outside printable ASCII, space and tab: Python's
    str.split() folds other characters (\\v, \\f, \\x1c..\\x1f, U+00A0, ...) that
    the specification's Trimall does not, and http.client sends headers as
    Latin-1, so non-ASCII values are not what botocore puts on the wire;
  - query strings that are not fully percent-encoded ("a b", "%3a", "&&"):
    botocore signs the URL's query as it stands (it does not re-encode), so it
    is only a reference for the encoded form its own client sends.
The comparison itself is never relaxed: signature and Authorization must be
byte-identical for every generated case.
"""

import argparse
import base64
import datetime
import difflib
import hashlib
import json
import os
import random
import string
import subprocess
import sys
import time

try:
    import botocore
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    import botocore.serialize
    import botocore.session
    import botocore.utils
except ImportError as exc:  # ctest treats 77 as "skipped"
    print(f"SKIP: botocore is not importable by {sys.executable}: {exc}")
    sys.exit(77)

SERVICE = 'bedrock'
REGIONS = ['eu-central-1', 'eu-west-1', 'us-east-1', 'us-west-2', 'ap-northeast-1',
           'ap-southeast-2']
OPERATIONS = ['Converse', 'ConverseStream', 'InvokeModel', 'InvokeModelWithResponseStream',
              'CountTokens']
BASE_MODELS = [
    'anthropic.claude-3-haiku-20240307-v1:0',
    'anthropic.claude-3-5-sonnet-20240620-v1:0',
    'anthropic.claude-3-7-sonnet-20250219-v1:0',
    'anthropic.claude-sonnet-4-20250514-v1:0',
    'anthropic.claude-v2:1:200k',  # two ':' (a context-window variant)
    'amazon.nova-pro-v1:0',
    'amazon.nova-lite-v1:0',
    'amazon.nova-micro-v1:0',
    'amazon.titan-text-express-v1',  # no ':' at all
    'amazon.titan-embed-text-v2:0',
    'meta.llama3-70b-instruct-v1:0',
    'meta.llama3-1-8b-instruct-v1:0',
    'mistral.mistral-large-2407-v1:0',
    'cohere.command-r-plus-v1:0',
    'ai21.jamba-1-5-large-v1:0',
    'deepseek.r1-v1:0',
]
PROFILE_PREFIXES = ['eu.', 'us.', 'apac.', 'global.']
ACCOUNT = '123456789012'
TIME_MIN = int(datetime.datetime(2015, 1, 1, tzinfo=datetime.timezone.utc).timestamp())
TIME_MAX = int(datetime.datetime(2030, 12, 31, 23, 59, 59,
                                 tzinfo=datetime.timezone.utc).timestamp())
EPOCH = datetime.datetime(1970, 1, 1)  # naive UTC, as botocore's clock returns it

# HTTP token characters (RFC 9110) besides letters and digits.
TCHAR_PUNCT = "!#$%&'*+-.^_`|~"
# Header names this test does not generate (see the module docstring):
# botocore's never-signed list, Date, and the headers signing itself sets
# (those are generated deliberately, as stale copies, by add_stale_headers).
EXCLUDED_HEADER_NAMES = set(botocore.auth.SIGNED_HEADERS_BLACKLIST) | {
    'date', 'host', 'authorization', 'x-amz-date', 'x-amz-security-token',
    'x-amz-content-sha256'}
# Characters for header values: printable ASCII; space and tab are added by the
# whitespace patterns (see the module docstring for why nothing else).
VALUE_CHARS = ''.join(chr(c) for c in range(0x21, 0x7f))
# Characters for query keys and values before encoding: unreserved, reserved
# (gen-delims and sub-delims), space, '%', and a few non-ASCII ones.
QUERY_CHARS = (string.ascii_letters + string.digits + '-_.~' + ":/?#[]@!$&'()*+,;=" + ' %"<>\\^`{|}'
               + 'é日本€ü')
B64_CHARS = string.ascii_letters + string.digits + '+/'


class CapturingSigV4Auth(botocore.auth.SigV4Auth):
    """SigV4Auth that keeps the canonical request it signed (for mismatch reports)."""

    def canonical_request(self, request):
        self.last_canonical_request = super().canonical_request(request)
        return self.last_canonical_request


# botocore's SigV4Auth.add_auth reads the clock through
# botocore.auth.get_current_datetime (imported from botocore.compat). Replace it
# with a fixed time per case; sign_with_botocore checks the X-Amz-Date it produced,
# so a botocore that reads the clock some other way fails loudly, not silently.
_FIXED_NOW = [None]


def _fixed_datetime(remove_tzinfo=True):
    now = _FIXED_NOW[0]
    return now if remove_tzinfo else now.replace(tzinfo=datetime.timezone.utc)


botocore.auth.get_current_datetime = _fixed_datetime


def amz_date(t):
    return (EPOCH + datetime.timedelta(seconds=t)).strftime('%Y%m%dT%H%M%SZ')


# ---------------------------------------------------------------------------
# Generator


class Generator:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        session = botocore.session.get_session()
        self.model = session.get_service_model('bedrock-runtime')
        self.serializer = botocore.serialize.create_serializer(
            self.model.metadata['protocol'], include_validation=False)
        # Credentials shared by many cases (key-cache hits), two of which share an
        # access key ID with different secrets (a rotated secret).
        self.cred_pool = [self.new_credentials() for _ in range(10)]
        rotated = self.new_credentials()
        rotated['access_key'] = self.cred_pool[0]['access_key']
        self.cred_pool.append(rotated)
        self.previous = []  # (time, region, credentials) of earlier cases

    # -- identity

    def new_credentials(self):
        r = self.rng
        prefix = r.choice(['AKIA', 'ASIA'])
        ak = prefix + ''.join(r.choice(string.ascii_uppercase + string.digits) for _ in range(16))
        sk = ''.join(r.choice(B64_CHARS) for _ in range(40))
        token = None
        if r.random() < 0.6:
            n = r.randint(560, 640)
            token = 'IQoJb3JpZ2luX2Vj' + ''.join(r.choice(B64_CHARS) for _ in range(n - 17))
            token += r.choice(['=', 'A', 'g'])
        return {'access_key': ak, 'secret': sk, 'token': token}

    def identity(self):
        """(time, region, credentials); sometimes the same day/region/key as before."""
        r = self.rng
        if self.previous and r.random() < 0.3:
            t0, region, creds = r.choice(self.previous)
            day = t0 - t0 % 86400
            t = day + r.choice([0, 86399, r.randrange(86400)])
            if r.random() < 0.3:  # same day and key ID, other secret or token
                creds = dict(creds)
                if r.random() < 0.5:
                    creds['secret'] = self.new_credentials()['secret']
                else:
                    creds['token'] = self.new_credentials()['token']
        else:
            t = r.randint(TIME_MIN, TIME_MAX)
            region = r.choice(REGIONS)
            creds = r.choice(self.cred_pool) if r.random() < 0.7 else self.new_credentials()
        self.previous.append((t, region, creds))
        return t, region, creds

    # -- path

    def model_id(self, region):
        r = self.rng
        base = r.choice(BASE_MODELS)
        profile = r.choice(PROFILE_PREFIXES) + base
        kind = r.random()
        if kind < 0.30:
            return base
        if kind < 0.55:
            return profile
        if kind < 0.70:
            return f'arn:aws:bedrock:{region}::foundation-model/{base}'
        if kind < 0.85:
            return f'arn:aws:bedrock:{region}:{ACCOUNT}:inference-profile/{profile}'
        if kind < 0.95:
            rand_id = ''.join(r.choice(string.ascii_lowercase + string.digits) for _ in range(12))
            return r.choice([
                f'arn:aws:bedrock:{region}:{ACCOUNT}:application-inference-profile/{rand_id}',
                f'arn:aws:bedrock:{region}:{ACCOUNT}:provisioned-model/{rand_id}',
                f'arn:aws:bedrock:{region}:{ACCOUNT}:custom-model/{base}/{rand_id}',
                f'arn:aws:bedrock:{region}:{ACCOUNT}:imported-model/{rand_id}',
                f'arn:aws-us-gov:bedrock:us-gov-west-1:{ACCOUNT}:inference-profile/us-gov.{base}',
            ])
        # Not a real model ID: any characters, to stress path encoding. The
        # serializer percent-encodes all but unreserved bytes, so the wire path
        # holds only unreserved bytes, %XX and the template's '/'. '.' and '..'
        # labels make dot segments that both sides must remove.
        if r.random() < 0.2:
            return r.choice(['.', '..', '...', '.a'])
        return ''.join(r.choice(QUERY_CHARS) for _ in range(r.randint(1, 24)))

    # -- headers

    def header_name(self):
        r = self.rng
        while True:
            kind = r.random()
            if kind < 0.4:
                name = 'x-' + r.choice(['custom', 'trace', 'a', 'ab', 'a-b', 'amz-meta', 'request'])
                if r.random() < 0.5:
                    name += r.choice(['-', '_', '.', '']) + ''.join(
                        r.choice(string.ascii_lowercase + string.digits)
                        for _ in range(r.randint(1, 6)))
            elif kind < 0.6:
                name = r.choice(['Accept', 'Accept-Encoding', 'Content-Encoding', 'Cache-Control',
                                 'X-Amzn-Bedrock-Trace', 'X-Amzn-Bedrock-GuardrailIdentifier',
                                 'amz-sdk-request', 'amz-sdk-invocation-id', 'Content-Length',
                                 'X-Forwarded-For', 'Origin', 'Pragma', 'If-None-Match'])
            else:  # any token
                name = ''.join(r.choice(string.ascii_letters + string.digits + TCHAR_PUNCT)
                               for _ in range(r.randint(1, 20)))
            if name.lower() not in EXCLUDED_HEADER_NAMES:
                return self.mixed_case(name)

    def mixed_case(self, name):
        r = self.rng
        style = r.random()
        if style < 0.3:
            return name
        if style < 0.45:
            return name.lower()
        if style < 0.6:
            return name.upper()
        return ''.join(c.upper() if r.random() < 0.5 else c.lower() for c in name)

    def whitespace(self, inner=False):
        r = self.rng
        if r.random() < (0.5 if inner else 0.6):
            return ' ' if inner else ''
        return ''.join(r.choice(' \t') for _ in range(r.randint(1, 4)))

    def header_value(self):
        r = self.rng
        kind = r.random()
        if kind < 0.05:
            return ''
        if kind < 0.10:
            return self.whitespace() or ' \t '  # nothing but whitespace
        words = [''.join(r.choice(VALUE_CHARS) for _ in range(r.randint(1, 12)))
                 for _ in range(r.randint(1, 5))]
        value = self.whitespace()
        for i, w in enumerate(words):
            if i:
                value += self.whitespace(inner=True)
            value += w
        return value + self.whitespace()

    def extra_headers(self):
        r = self.rng
        headers = []
        if r.random() < 0.5:
            headers.append((self.mixed_case('amz-sdk-invocation-id'), self.uuid()))
            headers.append((self.mixed_case('amz-sdk-request'), f'attempt={r.randint(1, 3)}; max=3'))
        for _ in range(r.choice([0, 0, 1, 2, 3, 5, 8, 12])):
            if headers and r.random() < 0.25:  # the same name again, maybe other case
                name = self.mixed_case(r.choice(headers)[0])
            else:
                name = self.header_name()
            headers.append((name, self.header_value()))
        return headers

    def uuid(self):
        h = '%032x' % self.rng.getrandbits(128)
        return f'{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}'

    # -- query

    def query_pairs(self):
        r = self.rng
        if r.random() < 0.5:
            return []
        pairs = []
        for _ in range(r.randint(1, 10)):
            if pairs and r.random() < 0.2:
                key = r.choice(pairs)[0]  # repeated key
            elif r.random() < 0.5:
                key = ''.join(r.choice(string.ascii_letters + string.digits + '-_.~')
                              for _ in range(r.randint(1, 10)))
            else:
                key = ''.join(r.choice(QUERY_CHARS) for _ in range(r.randint(1, 10)))
            if r.random() < 0.2:
                value = ''
            else:
                value = ''.join(r.choice(QUERY_CHARS) for _ in range(r.randint(1, 16)))
            pairs.append((key, value))
        return pairs

    # -- body

    def body(self):
        r = self.rng
        kind = r.random()
        if kind < 0.15:
            size = 0
        elif kind < 0.30:
            size = r.choice([1, 2, 3, 55, 56, 63, 64, 65, 119, 120, 1023, 1024, 4096, 65535, 65536])
        else:  # log-uniform over 1 B .. 64 KiB
            size = min(65536, int(2 ** r.uniform(0, 16)))
        if size == 0:
            return b''
        if r.random() < 0.4:
            return r.randbytes(size)
        # JSON: a Converse-style message whose text is padded to the exact size.
        words = ['the', 'gateway', 'signs', 'a', 'request', 'for', 'Bedrock', 'über', '"quoted"',
                 'tab\there', 'line\nbreak', '{braces}', '日本語']
        text, length = [], 0
        while length < size:
            word = r.choice(words)
            text.append(word)
            length += len(word) + 1
        doc = json.dumps({'messages': [{'role': 'user', 'content': [{'text': ' '.join(text)}]}],
                          'inferenceConfig': {'maxTokens': r.randint(1, 4096)}},
                         ensure_ascii=r.random() < 0.5).encode('utf-8')
        return doc[:size] if len(doc) >= size else doc + b' ' * (size - len(doc))

    # -- one case

    def case(self, index):
        r = self.rng
        t, region, creds = self.identity()
        operation = r.choice(OPERATIONS)
        op_model = self.model.operation_model(operation)
        params = {'modelId': self.model_id(region)}
        if operation.startswith('InvokeModel'):
            params['body'] = b''
            if r.random() < 0.7:
                params['contentType'] = 'application/json'
            if r.random() < 0.5:
                params['accept'] = r.choice(['application/json', '*/*'])
            if r.random() < 0.3:
                params['trace'] = r.choice(['ENABLED', 'DISABLED', 'ENABLED_FULL'])
            if r.random() < 0.2:
                params['guardrailIdentifier'] = 'gr-' + self.uuid()[:12]
                params['guardrailVersion'] = str(r.randint(1, 9))
            if r.random() < 0.2:
                params['performanceConfigLatency'] = r.choice(['standard', 'optimized'])
        request_dict = self.serializer.serialize_to_request(params, op_model)
        # The path must be what the client sends: the label URL-quoted with
        # safe='' (botocore.utils.percent_encode), ':' as %3A and '/' as %2F.
        expected_path = op_model.http['requestUri'].replace(
            '{modelId}', botocore.utils.percent_encode(params['modelId'], safe=''))
        if request_dict['url_path'] != expected_path:
            raise RuntimeError(f'unexpected serialized path {request_dict["url_path"]!r}')

        request_dict['query_string'] = self.query_pairs()
        request_dict['body'] = self.body()
        host = f'bedrock-runtime.{region}.amazonaws.com'
        botocore.awsrequest.prepare_request_dict(request_dict, f'https://{host}')
        url = request_dict['url']
        path, _, query = url[len('https://') + len(host):].partition('?')
        if query and r.random() < 0.1:
            # An empty value written without '=' ("k" instead of "k="): both the
            # specification and botocore sign it as "k=".
            query = '&'.join(p[:-1] if p.endswith('=') else p for p in query.split('&'))
            url = url.split('?')[0] + '?' + query

        # Headers, in arrival order, as both sides get them. The serializer's own
        # (Content-Type, X-Amzn-Bedrock-*) come first, as in the client.
        headers = list(request_dict['headers'].items()) + self.extra_headers()
        if r.random() < 0.03:
            # x-amz-content-sha256 with the body's hash (with any other value
            # botocore would sign the header's value as the payload hash).
            headers.append((self.mixed_case('X-Amz-Content-SHA256'),
                            hashlib.sha256(request_dict['body']).hexdigest()))
        if r.random() < 0.08:
            # Stale headers from an earlier attempt: both sides replace them.
            headers.append((self.mixed_case('Authorization'),
                            'AWS4-HMAC-SHA256 Credential=stale, SignedHeaders=host, Signature=0'))
            headers.append((self.mixed_case('X-Amz-Date'), '20000101T000000Z'))
        if r.random() < 0.05:
            # A stale token header: replaced when signing with a token, signed as
            # it stands without one (botocore and edgeroute alike).
            headers.append((self.mixed_case('X-Amz-Security-Token'), 'stale-token'))
        r.shuffle(headers)
        # Host: the client leaves it to botocore, which takes it from the URL;
        # sometimes pass it explicitly. The driver always needs it.
        host_header = (self.mixed_case('Host'), host)
        explicit_host = r.random() < 0.5
        driver_headers = list(headers)
        driver_headers.insert(r.randint(0, len(driver_headers)), host_header)
        if explicit_host:
            headers = driver_headers

        return {
            'index': index,
            'operation': operation,
            'method': request_dict['method'],
            'url': url,
            'path': path,
            'query': query,
            'botocore_headers': headers,
            'headers': driver_headers,
            'body': request_dict['body'],
            'region': region,
            'time': t,
            'creds': creds,
        }


# ---------------------------------------------------------------------------
# Signing


def sign_with_botocore(case):
    creds = case['creds']
    credentials = botocore.credentials.Credentials(creds['access_key'], creds['secret'],
                                                   creds['token'])
    auth = CapturingSigV4Auth(credentials, SERVICE, case['region'])
    request = botocore.awsrequest.AWSRequest(method=case['method'], url=case['url'],
                                             data=case['body'])
    for name, value in case['botocore_headers']:
        request.headers[name] = value  # HTTPHeaders appends: repeated names stay
    _FIXED_NOW[0] = EPOCH + datetime.timedelta(seconds=case['time'])
    auth.add_auth(request)
    if request.headers.get('X-Amz-Date') != amz_date(case['time']):
        raise RuntimeError('botocore did not sign at the patched time; '
                           'it no longer reads the clock via botocore.auth.get_current_datetime')
    authorization = request.headers['Authorization']
    signature = authorization.rsplit('Signature=', 1)[1]
    return signature, authorization, auth.last_canonical_request


def driver_line(case):
    creds = case['creds']
    obj = {
        'method': case['method'],
        'path': case['path'],
        'query': case['query'],
        'headers': [[n, v] for n, v in case['headers']],
        'body_b64': base64.b64encode(case['body']).decode('ascii'),
        'region': case['region'],
        'service': SERVICE,
        'time': case['time'],
        'access_key': creds['access_key'],
        'secret': creds['secret'],
    }
    if creds['token'] is not None:
        obj['token'] = creds['token']
    return json.dumps(obj, ensure_ascii=False)


def run_driver(driver, lines, canonical=False):
    cmd = [driver] + (['--canonical'] if canonical else [])
    data = ''.join(line + '\n' for line in lines).encode('utf-8')
    proc = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          check=False)
    if proc.returncode != 0:
        sys.exit(f'error: {driver} exited with {proc.returncode}: '
                 f'{proc.stderr.decode("utf-8", "replace").strip()}')
    out = proc.stdout.decode('utf-8', 'replace').split('\n')
    if out and out[-1] == '':
        out.pop()
    if len(out) != len(lines):
        sys.exit(f'error: {driver} wrote {len(out)} lines for {len(lines)} cases')
    return out


def unescape(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == '\\' and i + 1 < len(s):
            out.append({'n': '\n', 't': '\t', '\\': '\\'}.get(s[i + 1], s[i + 1]))
            i += 2
        else:
            out.append(s[i])
            i += 1
    return ''.join(out)


def mask_token(text, token):
    return text.replace(token, f'<token:{len(token)} bytes>') if token else text


def describe(case):
    """The case without its secrets, and the body as size and hash."""
    creds = case['creds']
    return json.dumps({
        'index': case['index'],
        'operation': case['operation'],
        'method': case['method'],
        'path': case['path'],
        'query': case['query'],
        'headers_to_driver': case['headers'],
        'headers_to_botocore': case['botocore_headers'],
        'body': f'{len(case["body"])} bytes, sha256 {hashlib.sha256(case["body"]).hexdigest()}',
        'region': case['region'],
        'time': case['time'],
        'access_key': creds['access_key'],
        'secret': '<redacted>',
        'token': None if creds['token'] is None else f'<redacted, {len(creds["token"])} bytes>',
    }, indent=2, ensure_ascii=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--driver', required=True, help='path to sigv4_diff_driver')
    parser.add_argument('--cases', type=int, default=1000, help='number of cases (default 1000)')
    parser.add_argument('--seed', type=int, default=20240901, help='generator seed')
    parser.add_argument('--show', type=int, default=5,
                        help='mismatches to print in full (default 5)')
    parser.add_argument('--dump', metavar='FILE',
                        help='also write the driver input (JSON lines, with the generated '
                             'fake secrets) to FILE, to replay with the driver by hand')
    args = parser.parse_args()
    if not os.access(args.driver, os.X_OK):
        sys.exit(f'error: driver {args.driver} is not an executable file')

    started = time.monotonic()
    gen = Generator(args.seed)
    cases = [gen.case(i) for i in range(args.cases)]
    expected = [sign_with_botocore(c) for c in cases]
    lines = [driver_line(c) for c in cases]
    if args.dump:
        with open(args.dump, 'w', encoding='utf-8') as f:
            f.writelines(line + '\n' for line in lines)
    results = run_driver(args.driver, lines)

    mismatches = []
    for case, (sig, authz, _), got in zip(cases, expected, results):
        fields = got.split('\t')
        if len(fields) != 2 or fields[0] != sig or fields[1] != authz:
            mismatches.append(case['index'])

    if mismatches:
        shown = mismatches[:args.show]
        canon = run_driver(args.driver, [lines[i] for i in shown], canonical=True)
        for i, got in zip(shown, canon):
            case = cases[i]
            sig, authz, creq = expected[i]
            token = case['creds']['token']
            fields = got.split('\t')
            print(f'=== MISMATCH case {i} (seed {args.seed})')
            print(describe(case))
            print(f'botocore  signature:     {sig}')
            print(f'botocore  Authorization: {authz}')
            if len(fields) < 3:
                print(f'edgeroute: {got}')
                continue
            print(f'edgeroute signature:     {fields[0]}')
            print(f'edgeroute Authorization: {fields[1]}')
            ours = unescape(fields[2]).split('\n')
            theirs = mask_token(creq, token).split('\n')
            print('canonical request, botocore (-) vs edgeroute (+):')
            for line in difflib.unified_diff(theirs, ours, 'botocore', 'edgeroute', lineterm='',
                                             n=20):
                print('  ' + repr(line)[1:-1])
        if len(mismatches) > len(shown):
            print(f'... and {len(mismatches) - len(shown)} more mismatching cases: '
                  f'{mismatches[len(shown):len(shown) + 50]}')

    elapsed = time.monotonic() - started
    tokens = sum(1 for c in cases if c['creds']['token'])
    body_bytes = sum(len(c['body']) for c in cases)
    print(f'{len(cases)} cases, {len(cases) - len(mismatches)} match '
          f'(seed {args.seed}, botocore {botocore.__version__}, {tokens} with session tokens, '
          f'{body_bytes} body bytes, {elapsed:.1f} s)')
    return 1 if mismatches else 0


if __name__ == '__main__':
    sys.exit(main())

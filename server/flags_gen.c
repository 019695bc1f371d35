/*
 * ecrd's flags: generated from server/flags.txt by cmake/gen_flags.py
 * (make flags). Do not edit.
 */
#include "server/flags.h"

#include <stddef.h>

const char flags_usage[] =
    "usage: ecrd [options]\n"
    "  --listen HOST:PORT      address to serve on (default 127.0.0.1:5080); port 0\n"
    "                          picks a free port, [::1]:PORT for IPv6\n"
    "  --port-file FILE        write the bound HOST:PORT to FILE once listening\n"
    "                          (written to a temporary name, then renamed)\n"
    "  --data-dir DIR          persistent store directory (default ./ecrd-data)\n"
    "  --ephemeral             store in a fresh temporary directory, removed at\n"
    "                          exit, without fsync: for tests\n"
    "  --map-size BYTES        most the metadata file may grow to, with an optional\n"
    "                          K, M, G or T (default 1T, sparse); past it writes\n"
    "                          fail with ServerException (see README)\n"
    "  --account ID            account for access keys that name none (default\n"
    "                          123456789012)\n"
    "  --region REGION         region for unsigned requests (default us-east-1)\n"
    "  --public-endpoint HOST[:PORT]\n"
    "                          make repositoryUri and proxyEndpoint name this server\n"
    "                          (e.g. 127.0.0.1:5080, [::1]:5080; port 0: the bound\n"
    "                          port; no scheme) instead of\n"
    "                          ACCOUNT.dkr.ecr.REGION.amazonaws.com; a HOST with\n"
    "                          {account} and {region}, e.g.\n"
    "                          {account}.dkr.ecr.{region}.localhost:5080, names each\n"
    "                          registry, and a registry request's Host of that shape\n"
    "                          selects it\n"
    "  --tls-cert FILE         serve HTTPS on the same port with this PEM\n"
    "                          certificate chain (needs --tls-key); SIGHUP reloads\n"
    "  --tls-key FILE          the PEM private key of --tls-cert\n"
    "  --credentials FILE      strict mode: verify SigV4 signatures against the\n"
    "                          principals in FILE (see README); SIGHUP reloads\n"
    "  --strict                strict mode (requires --credentials)\n"
    "  --secrets FILE          upstream credentials of pull-through cache rules: a\n"
    "                          JSON object mapping a secret ARN or name to\n"
    "                          {\"username\", \"accessToken\"} (see README); SIGHUP\n"
    "                          reloads\n"
    "  --upstream-url HOST=URL\n"
    "                          send a pull-through cache upstream's requests for\n"
    "                          HOST to URL instead of https://HOST, e.g.\n"
    "                          registry-1.docker.io=http://127.0.0.1:5000\n"
    "                          (repeatable; tests, air-gapped mirrors)\n"
    "  --upstream-credentials FILE\n"
    "                          AWS credentials (--credentials' format) that sign\n"
    "                          GetAuthorizationToken for an ecr upstream: the\n"
    "                          principal of the rule's customRoleArn, else of the\n"
    "                          upstream's account (see README); SIGHUP reloads\n"
    "  --pull-through-refresh SECONDS\n"
    "                          check a pull-through cache tag upstream again when it\n"
    "                          was last checked SECONDS ago or more (default 86400)\n"
    "  --replication-delay SECONDS\n"
    "                          hold each replication job SECONDS after its push\n"
    "                          (default 0), so tests can see IN_PROGRESS\n"
    "  --archive-restore-seconds SECONDS\n"
    "                          how long an archived image set back to STANDARD stays\n"
    "                          ACTIVATING (default 5)\n"
    "  --signing-key PROFILE_ARN=KEY.pem,CERT.pem\n"
    "                          sign managed signing's pushes for that profile with\n"
    "                          this EC P-256 key and its certificate instead of a\n"
    "                          key made on first use (repeatable)\n"
    "  --admin-endpoints       in strict mode, serve the admin endpoints\n"
    "                          (/_ecrd/token, gc, clock, lifecycle/run,\n"
    "                          scan-findings, signing/certificate, faults and\n"
    "                          /moto-api/...), which need no credentials; without it\n"
    "                          they answer 404 (permissive mode always serves them)\n"
    "  --throttle              refuse calls above ECR's published rates, per\n"
    "                          account, region and operation (ThrottlingException;\n"
    "                          the registry's 429 TOOMANYREQUESTS with Retry-After);\n"
    "                          see docs/observability.md\n"
    "  --throttle-rate OPERATION=N\n"
    "                          with --throttle's buckets, OPERATION (an ECR\n"
    "                          operation, e.g. PutImage=2) at N calls a second\n"
    "                          instead (0: refuse all); repeatable; implies\n"
    "                          --throttle\n"
    "  --relax-references      let PutImage name layers, configs and child manifests\n"
    "                          the repository does not hold (for test suites that\n"
    "                          push synthetic manifests); default: ECR's\n"
    "                          LayersNotFound/ReferencedImagesNotFound\n"
    "  --lifecycle-interval SECONDS\n"
    "                          run every repository's lifecycle policy each SECONDS\n"
    "                          (default 3600; 0: only on demand, by POST\n"
    "                          /_ecrd/lifecycle/run)\n"
    "  --clock-offset SECONDS  start with the clock SECONDS ahead (age-based\n"
    "                          lifecycle rules; POST /_ecrd/clock moves it on)\n"
    "  --max-repositories N    ECR's repositories-per-region quota (default 100000);\n"
    "                          the same as --quota repositories-per-region=N\n"
    "  --max-layer-size BYTES  ECR's maximum layer size (default 54525952000, 52,000\n"
    "                          MiB)\n"
    "  --quota NAME=VALUE      lower or raise one of ECR's count quotas\n"
    "                          (repeatable), e.g. repositories-per-region=5. NAME:\n"
    "                          repositories-per-region, images-per-repository,\n"
    "                          tags-per-image, layer-parts, layer-size,\n"
    "                          pull-through-rules, pull-time-update-exclusions,\n"
    "                          scans-per-day (defaults: the README's Quotas); an\n"
    "                          unknown name refuses to start\n"
    "  --audit-log FILE        append one CloudTrail-shaped JSON record per ECR API\n"
    "                          and registry call, and lifecycle expiries'\n"
    "                          PolicyExecutionEvent, to FILE; SIGHUP reopens it\n"
    "  --header-timeout SECONDS\n"
    "                          close a connection whose request headers take longer\n"
    "                          than SECONDS in all (default 30)\n"
    "  --no-metrics            do not serve GET /metrics nor count requests for it\n"
    "                          (the baseline of the benchmark's \"observe\" scenario)\n"
    "  --metrics-max-series N  series per metric family with a repository label\n"
    "                          (default 1000); later repositories count as\n"
    "                          repository=\"_other\"\n"
    "  --vuln-db DIR           match image scans against the OSV records (JSON)\n"
    "                          under DIR, indexed at start; SIGHUP reindexes\n"
    "                          (without it scans find nothing)\n"
    "  --events-file FILE      append ECR's EventBridge events (image pushes,\n"
    "                          deletes, scans, pulls through the cache,\n"
    "                          replications...) to FILE as JSON lines, one per\n"
    "                          event, after their commit; reopened on SIGHUP\n"
    "  --test-hold-file-work PATH\n"
    "                          tests only: while PATH exists, a write's file work\n"
    "                          waits in the worker pool (and PATH.held exists)\n"
    "  --events-webhook URL    POST each event (EventBridge's envelope,\n"
    "                          application/json) to URL, queued and retried in the\n"
    "                          background (repeatable; see docs/observability.md)\n"
    "  --eventbridge-endpoint URL\n"
    "                          send each event to EventBridge's PutEvents at URL\n"
    "                          (LocalStack's, AWS's), SigV4-signed with\n"
    "                          --eventbridge-credentials\n"
    "  --eventbridge-credentials FILE\n"
    "                          AWS credentials (--credentials' format) that sign\n"
    "                          PutEvents: the principal of the event's account, else\n"
    "                          the first; SIGHUP reloads\n"
    "  --events-queue-max N    events each HTTP sink holds unsent before dropping\n"
    "                          the oldest (default 10000)\n"
    "  --log-level LEVEL       error, warn, info (one line per request) or debug\n"
    "  --health-check          do not serve: ask the ecrd at --listen for GET\n"
    "                          /health and exit 0 if it answers 200 within 5\n"
    "                          seconds, else 1 (a container HEALTHCHECK; a wildcard\n"
    "                          address means loopback)\n"
    "  -v, --version           print the version and exit\n"
    "  -h, --help              print this help and exit\n";

const char flags_shortopts[] = "vh";

const struct option flags_longopts[] = {
    {"listen", required_argument, NULL, 'l'},
    {"port-file", required_argument, NULL, 'p'},
    {"data-dir", required_argument, NULL, 'd'},
    {"ephemeral", no_argument, NULL, 'e'},
    {"map-size", required_argument, NULL, 'Z'},
    {"account", required_argument, NULL, 'a'},
    {"region", required_argument, NULL, 'r'},
    {"public-endpoint", required_argument, NULL, 'u'},
    {"tls-cert", required_argument, NULL, 'T'},
    {"tls-key", required_argument, NULL, 'Y'},
    {"credentials", required_argument, NULL, 'c'},
    {"strict", no_argument, NULL, 's'},
    {"secrets", required_argument, NULL, 'X'},
    {"upstream-url", required_argument, NULL, 'W'},
    {"upstream-credentials", required_argument, NULL, 'U'},
    {"pull-through-refresh", required_argument, NULL, 'P'},
    {"replication-delay", required_argument, NULL, 'D'},
    {"archive-restore-seconds", required_argument, NULL, 'B'},
    {"signing-key", required_argument, NULL, 'G'},
    {"admin-endpoints", no_argument, NULL, 'A'},
    {"throttle", no_argument, NULL, 't'},
    {"throttle-rate", required_argument, NULL, 'j'},
    {"relax-references", no_argument, NULL, 'R'},
    {"lifecycle-interval", required_argument, NULL, 'I'},
    {"clock-offset", required_argument, NULL, 'O'},
    {"max-repositories", required_argument, NULL, 'M'},
    {"max-layer-size", required_argument, NULL, 'S'},
    {"quota", required_argument, NULL, 'Q'},
    {"audit-log", required_argument, NULL, 'C'},
    {"header-timeout", required_argument, NULL, 'H'},
    {"no-metrics", no_argument, NULL, 'N'},
    {"metrics-max-series", required_argument, NULL, 'y'},
    {"vuln-db", required_argument, NULL, 'V'},
    {"events-file", required_argument, NULL, 'E'},
    {"test-hold-file-work", required_argument, NULL, 'J'},
    {"events-webhook", required_argument, NULL, 'w'},
    {"eventbridge-endpoint", required_argument, NULL, 'b'},
    {"eventbridge-credentials", required_argument, NULL, 'k'},
    {"events-queue-max", required_argument, NULL, 'q'},
    {"log-level", required_argument, NULL, 'L'},
    {"health-check", no_argument, NULL, 'K'},
    {"version", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

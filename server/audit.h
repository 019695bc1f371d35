/*
 * --audit-log: CloudTrail's records of the calls answered (api/audit.h
 * builds them), one JSON line each, written once per loop turn
 * (LINEFILE_BATCH) and reopened on SIGHUP. docs/observability.md, "Audit
 * trail".
 */
#ifndef ECRD_SERVER_AUDIT_H
#define ECRD_SERVER_AUDIT_H

struct api_reg_answer;
struct api_reg_request;
struct call;
struct http_request;
struct server;

/* Open path once srv's API context is made: 0, or -1 with *cause. */
int audit_open(struct server *, const char *path, char **cause);
/* SIGHUP: follow a rotated file (the old one kept if it fails). */
void audit_reopen(void);
/* Write what is gathered and close (none open: nothing). */
void audit_close(void);
/* The record of an ECR call, as answered (nothing when off). */
void audit_ecr(struct http_request *, const struct call *);
/* The record of a registry call under the ECR API it stands for. */
void audit_registry(struct http_request *, const struct api_reg_request *,
    const struct call *, const struct api_reg_answer *);

#endif

/*
 * The one answer type and the one writer to the wire: every answer the
 * server sends (ECR JSON, the registry's, admin endpoints', blob downloads
 * and every error) is a struct answer, logged and written by answer_send.
 * Error bodies come from the two error tables (api/error.c for ECR,
 * registry/error.c for the registry), never spelled here.
 */
#include "server/server.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "common/json.h"
#include "common/log.h"
#include "server/http.h"

#define REG_JSON "application/json; charset=utf-8"

double
elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) * 1e3 +
	       (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

void
answer_init(struct answer *a, int status, const char *content_type)
{
	memset(a, 0, sizeof *a);
	a->status = status;
	a->content_type = content_type;
	a->fd = -1;
}

void
answer_header(struct answer *a, const char *name, const char *value)
{
	/* A fixed set of headers per answer: more is our bug. */
	if (a->n_headers == ANSWER_HEADERS_MAX) {
		log_error("answer: header %s dropped", name);
		return;
	}
	a->headers[a->n_headers][0] = name;
	a->headers[a->n_headers++][1] = value;
}

void
answer_send(struct http_request *req, const struct answer *a)
{
	struct route_state *st = req->app_data;
	size_t i;

	metrics_on_answer(req, a);
	for (i = 0; i < a->n_headers; i++)
		http_response_header(req, a->headers[i][0], a->headers[i][1]);
	log_info("%s %s %s %d %.3fms %s", req->method, req->path, st->op,
	    a->status, elapsed_ms(&req->started), st->request_id);
	http_response_header(req, "x-amzn-RequestId", st->request_id);
	if (a->is_stream)
		http_stream_begin(req, a->status, a->content_type, a->file_len);
	else if (a->fd != -1)
		http_respond_file(req, a->status, a->content_type, a->fd,
		    a->off, a->file_len);
	else if (a->owned_body != NULL)
		http_respond_take(req, a->status, a->content_type,
		    a->owned_body, a->len);
	else
		http_respond(req, a->status, a->content_type, a->body, a->len);
}

void
answer_json(struct http_request *req, int status,
    struct json_object *owned_body)
{
	struct answer a;
	char *body;
	size_t len;

	body = jrender(owned_body, &len);
	json_object_put(owned_body);
	/* Writers fail sticky: a 500, never a truncated answer. */
	if (body == NULL) {
		log_error("%s %s: the answer is over the render limit",
		    req->method, req->path);
		answer_server_error(req);
		return;
	}
	answer_init(&a, status, "application/json");
	a.body = body;
	a.len = len;
	answer_send(req, &a);
	free(body);
}

void
answer_ecr_rendered(struct http_request *req, struct answer *a,
    const char *error_type, const char *body, size_t len)
{
	if (error_type != NULL)
		answer_header(a, "x-amzn-ErrorType", error_type);
	a->body = body;
	a->len = len;
	answer_send(req, a);
}

void
answer_aws_error(struct http_request *req, struct answer *base, int status,
    enum ecr_errcode code, const char *message)
{
	struct answer own;
	char *body;
	size_t len;

	if (base == NULL) {
		answer_init(&own, status, ANSWER_JSON_11);
		base = &own;
	}
	base->status = status;
	base->content_type = ANSWER_JSON_11;
	base->fd = -1;
	body = ecr_error_body(ecr_error_type(code), message, NULL, &len);
	answer_ecr_rendered(req, base, ecr_error_type(code), body, len);
	free(body);
}

void
answer_server_error(struct http_request *req)
{
	answer_aws_error(req, NULL, ecr_error_status(ERR_SERVER), ERR_SERVER,
	    "An internal error occurred.");
}

void
answer_reg_error(struct http_request *req, struct answer *base,
    enum reg_errcode code, const char *message)
{
	answer_reg_error_as(req, base, reg_error_status(code), code, message);
}

void
answer_reg_error_as(struct http_request *req, struct answer *base, int status,
    enum reg_errcode code, const char *message)
{
	struct answer own;
	char *body;
	size_t len;

	if (base == NULL) {
		answer_init(&own, 0, NULL);
		answer_header(&own, "Docker-Distribution-Api-Version",
		    "registry/2.0");
		base = &own;
	}
	metrics_note_error(req, reg_error_code(code));
	base->status = status;
	base->content_type = REG_JSON;
	base->fd = -1;
	body = reg_error_body(code, message, &len);
	base->body = body;
	base->len = len;
	answer_send(req, base);
	free(body);
}

/* Declarations shared inside server/: the running server and its routes. */
#ifndef ECRD_SERVER_SERVER_H
#define ECRD_SERVER_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct api_call;
struct api_ctx;
struct creds;
struct event;
struct event_base;
struct http_request;
struct http_server;
struct store;

/* A write call waiting for the next group commit. */
struct pending_write {
	struct http_request	*req;
	struct api_call		*call;
};

struct server {
	struct event_base	*base;
	struct http_server	*http;
	struct store		*store;
	struct api_ctx		*api;
	struct creds		*creds;
	const char		*creds_path;
	struct event		*batch_ev;
	struct event		*housekeeping_ev;
	struct pending_write	*pending;
	size_t			 n_pending;
	size_t			 pending_size;
	struct timespec		 started;
	bool			 is_draining;
};

/* routes.c: the application callbacks handed to the HTTP layer. */
void	routes_on_head(struct http_request *, void *srv);
void	routes_on_request(struct http_request *, void *srv);
/* Run the queued write calls as one group commit and answer them. */
void	routes_flush_writes(struct server *);

/* An AWS-shaped JSON error answer. */
void	routes_error(struct http_request *, int status, const char *type,
	    const char *message);

/* blobs.c: blob downloads with byte ranges. */
struct store;
int	blobs_parse_range(const char *header, uint64_t size, uint64_t *off,
	    uint64_t *len);
void	blobs_serve(struct http_request *, struct store *,
	    const char *digest);

/* Milliseconds since the epoch, from the real clock. */
long long now_ms(void);

#endif

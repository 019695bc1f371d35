/*
 * ecrd --health-check: ask the ecrd at --listen for GET /health and exit 0
 * if it answers 200. A container image built from scratch has no curl, so
 * its HEALTHCHECK runs ecrd itself; this runs before any server state
 * exists, in a process of its own, so blocking calls (bounded by a
 * deadline) are fine here.
 */
#include "server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/parse.h"
#include "common/xalloc.h"

#define TIMEOUT_MS 5000
#define ANSWER_MAX 512

/* Wait for fd to become ready for events, within the deadline. */
static int
wait_fd(int fd, short events)
{
	struct pollfd p = {fd, events, 0};
	int n;

	while ((n = poll(&p, 1, TIMEOUT_MS)) == -1 && errno == EINTR)
		;
	if (n == 0)
		errno = ETIMEDOUT;
	return n == 1 ? 0 : -1;
}

/* Connect fd to ai within the deadline: 0, or -1 with errno. */
static int
connect_within(int fd, const struct addrinfo *ai)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS || wait_fd(fd, POLLOUT) != 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		return -1;
	errno = err;
	return err == 0 ? 0 : -1;
}

/* A connected socket to host:port, or -1 with errno. */
static int
dial(const char *host, const char *port)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0) {
		errno = EHOSTUNREACH;
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK, 0);
		if (fd != -1 && connect_within(fd, ai) == 0)
			break;
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Send the request and read the status line: 0 if it says 200. */
static int
ask(int fd, const char *hostport, char *answer, size_t size)
{
	char *req =
	    xasprintf("GET /health HTTP/1.0\r\nHost: %s\r\n\r\n", hostport);
	size_t len = strlen(req), got = 0;
	ssize_t n;
	int rc = -1;

	if (wait_fd(fd, POLLOUT) != 0 || write(fd, req, len) != (ssize_t)len)
		goto out;
	while (got < size - 1 && wait_fd(fd, POLLIN) == 0 &&
	       (n = read(fd, answer + got, size - 1 - got)) > 0)
		got += (size_t)n;
	answer[got] = '\0';
	answer[strcspn(answer, "\r\n")] = '\0';
	if (strncmp(answer, "HTTP/1.1 200 ", 13) == 0 ||
	    strncmp(answer, "HTTP/1.0 200 ", 13) == 0)
		rc = 0;
out:
	free(req);
	return rc;
}

int
healthcheck_run(const struct endpoint *listen)
{
	char port[8], answer[ANSWER_MAX] = "";
	const char *host = listen->host;
	char *hostport;
	int fd, rc = 1;

	/* A wildcard listener answers on loopback. */
	if (strcmp(host, "0.0.0.0") == 0)
		host = "127.0.0.1";
	else if (strcmp(host, "::") == 0)
		host = "::1";
	(void)snprintf(port, sizeof port, "%d", listen->port);
	hostport = xasprintf(listen->is_ipv6 ? "[%s]:%s" : "%s:%s", host, port);
	if ((fd = dial(host, port)) == -1)
		fprintf(stderr, "ecrd: health check of %s: %s\n", hostport,
		    strerror(errno));
	else if (ask(fd, hostport, answer, sizeof answer) != 0)
		fprintf(stderr, "ecrd: health check of %s: %s\n", hostport,
		    *answer != '\0' ? answer : "no answer");
	else
		rc = 0;
	if (fd != -1)
		close(fd);
	free(hostport);
	return rc;
}

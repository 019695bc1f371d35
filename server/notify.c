/*
 * Tell systemd how the service is doing (Type=notify): the sd_notify(3)
 * datagram, sent without linking libsystemd.
 */
#include "server/server.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"

void
notify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	size_t len;
	socklen_t sun_len;
	int fd;

	if (path == NULL || *path == '\0')
		return;
	len = strlen(path);
	/* An absolute path, or '@' for a name in the abstract namespace. */
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof sun.sun_path) {
		log_warn("NOTIFY_SOCKET '%s' is not a socket path", path);
		return;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	sun_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("NOTIFY_SOCKET: socket: %s", strerror(errno));
		return;
	}
	/* MSG_DONTWAIT: the loop never waits on a busy service manager. */
	if (sendto(fd, state, strlen(state), MSG_DONTWAIT | MSG_NOSIGNAL,
	        (struct sockaddr *)&sun, sun_len) == -1)
		log_warn("NOTIFY_SOCKET %s: %s", path, strerror(errno));
	close(fd);
}

/* Random (version 4) UUIDs: request ids and upload ids. */
#ifndef ECRD_COMMON_UUID_H
#define ECRD_COMMON_UUID_H

#define UUID_SIZE 37 /* 36 characters and the NUL */

/* A fresh lowercase version 4 UUID (RFC 9562 4.1, 5.4) into dst. */
void uuid_v4(char dst[UUID_SIZE]);

#endif

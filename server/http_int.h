/* Declarations shared by http.c and tls.c. */
#ifndef ECRD_SERVER_HTTP_INT_H
#define ECRD_SERVER_HTTP_INT_H

#include <openssl/ssl.h>

struct http_tls;

/* A new connection's SSL, or NULL if OpenSSL cannot make one. */
SSL *http_tls_ssl_new(struct http_tls *);

#endif

/*
 * HTTPS for the HTTP layer: one OpenSSL server context made from the
 * operator's PEM files, swapped whole on reload. Each connection's SSL
 * holds a reference to the context it began with, so a reload never
 * disturbs a connection open (docs/tls.md).
 */
#include "server/http.h"

#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/xalloc.h"
#include "server/http_int.h"

struct http_tls {
	char *cert_path;
	char *key_path;
	SSL_CTX *ctx;
};

/* OpenSSL's reason for the last failure, its queue emptied. */
static char *
ssl_cause(const char *what, const char *path)
{
	char reason[256];
	unsigned long e = ERR_peek_last_error();

	ERR_error_string_n(e, reason, sizeof reason);
	ERR_clear_error();
	return xasprintf("%s %s: %s", what, path,
	    e != 0 ? reason : "unknown error");
}

static SSL_CTX *
ctx_load(const char *cert_path, const char *key_path, char **cause)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		*cause = ssl_cause("cannot make a TLS context for", cert_path);
		return NULL;
	}
	/* What browsers and Go's crypto/tls accept; renegotiation is gone. */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	/*
	 * A peer that closes without close_notify (most HTTP clients) ends
	 * the stream like one that sends it, not with an error.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* Idle keep-alive connections give their buffers back. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1) {
		*cause = ssl_cause("cannot load the certificate", cert_path);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1) {
		*cause = ssl_cause("cannot load the key", key_path);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		*cause = ssl_cause("the key does not match the certificate",
		    cert_path);
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int
http_tls_new(const char *cert_path, const char *key_path, struct http_tls **out,
    char **cause)
{
	struct http_tls *t;
	SSL_CTX *ctx;

	if ((ctx = ctx_load(cert_path, key_path, cause)) == NULL)
		return -1;
	t = xcalloc(1, sizeof *t);
	t->cert_path = xstrdup(cert_path);
	t->key_path = xstrdup(key_path);
	t->ctx = ctx;
	*out = t;
	return 0;
}

int
http_tls_reload(struct http_tls *t, char **cause)
{
	SSL_CTX *ctx;

	if ((ctx = ctx_load(t->cert_path, t->key_path, cause)) == NULL)
		return -1;
	/* Connections open hold their own reference to the old one. */
	SSL_CTX_free(t->ctx);
	t->ctx = ctx;
	return 0;
}

SSL *
http_tls_ssl_new(struct http_tls *t)
{
	SSL *ssl = SSL_new(t->ctx);

	if (ssl == NULL)
		ERR_clear_error();
	return ssl;
}

void
http_tls_free(struct http_tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t->cert_path);
	free(t->key_path);
	free(t);
}

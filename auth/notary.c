/*
 * Notary Project signatures with libcrypto: a P-256 key and self-signed
 * certificate, the JWS envelope of a notary.x509 signature and the OCI
 * manifest that carries it (docs/ecr-behaviour.md 3.12; the format is the
 * Notary Project's signature and JWS envelope specifications).
 */
#include "auth/notary.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "common/json.h"
#include "common/xalloc.h"

#define VALID_SEC (10 * 365 * 86400L) /* the certificate's validity */
#define ES256_LEN 64                  /* R || S, 32 bytes each */

struct notary_signer {
	EVP_PKEY *key;
	X509 *cert;
	char *cert_pem;
	unsigned char *der; /* the certificate, DER */
	int der_len;
};

static int
fail(char **cause, const char *what)
{
	unsigned long e = ERR_get_error();

	*cause = xasprintf("%s: %s", what,
	    e != 0 ? ERR_reason_error_string(e) : "failed");
	ERR_clear_error();
	return -1;
}

static char *
bio_text(BIO *b)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);

	return n < 0 ? NULL : xstrndup(p, (size_t)n);
}

static int
add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* A random positive serial number of 127 bits. */
static int
set_serial(X509 *cert)
{
	unsigned char serial[16];
	BIGNUM *bn;
	int ok;

	randombytes_buf(serial, sizeof serial);
	serial[0] &= 0x7f;
	if ((bn = BN_bin2bn(serial, sizeof serial, NULL)) == NULL)
		return 0;
	ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
	BN_free(bn);
	return ok;
}

static X509 *
self_signed(EVP_PKEY *key, const char *cn, int64_t now_s)
{
	X509 *cert;
	X509_NAME *name;

	if ((cert = X509_new()) == NULL)
		return NULL;
	name = X509_get_subject_name(cert);
	if (!X509_set_version(cert, 2) || !set_serial(cert) ||
	    X509_time_adj_ex(X509_getm_notBefore(cert), 0, -3600,
	        &(time_t){(time_t)now_s}) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(cert), 0, VALID_SEC,
	        &(time_t){(time_t)now_s}) == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	        (const unsigned char *)"ecrd", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	        (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(cert, name) || !X509_set_pubkey(cert, key) ||
	    !add_ext(cert, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(cert, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(cert, NID_ext_key_usage, "codeSigning") ||
	    !X509_sign(cert, key, EVP_sha256())) {
		X509_free(cert);
		return NULL;
	}
	return cert;
}

int
notary_key_new(const char *common_name, int64_t now_s, char **key_pem,
    char **cert_pem, char **cause)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = NULL;
	BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
	int rc = -1;

	*key_pem = *cert_pem = NULL;
	if (key == NULL || kb == NULL || cb == NULL)
		rc = fail(cause, "generating a P-256 key");
	else if ((cert = self_signed(key, common_name, now_s)) == NULL)
		rc = fail(cause, "making its certificate");
	else if (!PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL,
	             NULL) ||
	         !PEM_write_bio_X509(cb, cert))
		rc = fail(cause, "writing PEM");
	else {
		*key_pem = bio_text(kb);
		*cert_pem = bio_text(cb);
		rc = 0;
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	BIO_free(kb);
	BIO_free(cb);
	return rc;
}

/* Only P-256 keys: the envelope's alg is ES256 (NOTARY-JWS). */
static int
check_key(EVP_PKEY *key, X509 *cert, char **cause)
{
	char group[32];
	size_t len;

	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group,
	        &len) ||
	    strcmp(group, "prime256v1") != 0) {
		*cause = xstrdup("the key is not an EC P-256 key");
		return -1;
	}
	if (X509_check_private_key(cert, key) != 1) {
		ERR_clear_error();
		*cause = xstrdup("the certificate is not the key's");
		return -1;
	}
	return 0;
}

struct notary_signer *
notary_signer_new(const char *key_pem, const char *cert_pem, char **cause)
{
	struct notary_signer *s = xcalloc(1, sizeof *s);
	BIO *kb = BIO_new_mem_buf(key_pem, -1);
	BIO *cb = BIO_new_mem_buf(cert_pem, -1);
	unsigned char *p;

	if (kb == NULL || cb == NULL ||
	    (s->key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL)) == NULL)
		fail(cause, "reading the key");
	else if ((s->cert = PEM_read_bio_X509(cb, NULL, NULL, NULL)) == NULL)
		fail(cause, "reading the certificate");
	else if (check_key(s->key, s->cert, cause) != 0)
		;
	else if ((s->der_len = i2d_X509(s->cert, NULL)) <= 0)
		fail(cause, "encoding the certificate");
	else {
		s->der = xmalloc((size_t)s->der_len);
		p = s->der;
		i2d_X509(s->cert, &p);
		s->cert_pem = xstrdup(cert_pem);
	}
	BIO_free(kb);
	BIO_free(cb);
	if (s->cert_pem == NULL) {
		notary_signer_free(s);
		return NULL;
	}
	return s;
}

void
notary_signer_free(struct notary_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
	free(s->cert_pem);
	free(s->der);
	free(s);
}

const char *
notary_signer_cert_pem(const struct notary_signer *s)
{
	return s->cert_pem;
}

static char *
b64(const void *p, size_t len, int variant)
{
	size_t size = sodium_base64_ENCODED_LEN(len, variant);
	char *out = xmalloc(size);

	sodium_bin2base64(out, size, p, len, variant);
	return out;
}

#define B64URL sodium_base64_VARIANT_URLSAFE_NO_PADDING

/* RFC 3339 in UTC without fractional seconds, as notary.x509 asks. */
static void
rfc3339(int64_t now_s, char out[32])
{
	time_t t = (time_t)now_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static struct json_object *
descriptor(const struct notary_target *t)
{
	struct json_object *d = jnew_obj();

	jadd_str(d, "mediaType", t->media_type);
	jadd_str(d, "digest", t->digest);
	jadd_i64(d, "size", (int64_t)t->size);
	return d;
}

/* The protected header and payload, each rendered then base64url. */
static char *
signing_input(const struct notary_target *t, int64_t now_s, char **protected,
    char **payload)
{
	struct json_object *h = jnew_obj(), *p = jnew_obj(), *crit = jnew_arr();
	char when[32], *ht, *pt, *input = NULL;
	size_t hl, pl;

	rfc3339(now_s, when);
	jadd_str(h, "alg", "ES256");
	jadd_str(h, "cty", NOTARY_PAYLOAD_TYPE);
	jpush_str(crit, "io.cncf.notary.signingScheme");
	jadd_obj(h, "crit", crit);
	jadd_str(h, "io.cncf.notary.signingScheme", "notary.x509");
	jadd_str(h, "io.cncf.notary.signingTime", when);
	jadd_obj(p, "targetArtifact", descriptor(t));
	ht = jrender(h, &hl);
	pt = jrender(p, &pl);
	*protected = *payload = NULL;
	if (ht != NULL && pt != NULL) {
		*protected = b64(ht, hl, B64URL);
		*payload = b64(pt, pl, B64URL);
		input = xasprintf("%s.%s", *protected, *payload);
	}
	free(ht);
	free(pt);
	json_object_put(h);
	json_object_put(p);
	return input;
}

/* ES256 over input: the raw R || S of RFC 7518 3.4, base64url. */
static char *
es256(EVP_PKEY *key, const char *input, char **cause)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der[80], raw[ES256_LEN];
	const unsigned char *p = der;
	size_t len = sizeof der;
	ECDSA_SIG *sig = NULL;
	const BIGNUM *r, *s;
	char *out = NULL;

	if (md == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, der, &len, (const unsigned char *)input,
	        strlen(input)) != 1 ||
	    (sig = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL)
		fail(cause, "signing");
	else {
		ECDSA_SIG_get0(sig, &r, &s);
		if (BN_bn2binpad(r, raw, 32) != 32 ||
		    BN_bn2binpad(s, raw + 32, 32) != 32)
			fail(cause, "encoding the signature");
		else
			out = b64(raw, sizeof raw, B64URL);
	}
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	return out;
}

char *
notary_envelope(const struct notary_signer *s, const struct notary_target *t,
    int64_t now_s, size_t *len, char **cause)
{
	struct json_object *env, *header, *x5c;
	char *protected, *payload, *input, *sig = NULL, *text = NULL, *cert64;

	if ((input = signing_input(t, now_s, &protected, &payload)) == NULL) {
		*cause = xstrdup("rendering the payload");
		return NULL;
	}
	if ((sig = es256(s->key, input, cause)) != NULL) {
		env = jnew_obj();
		header = jnew_obj();
		x5c = jnew_arr();
		/* x5c is standard base64 with padding (RFC 7515 4.1.6). */
		cert64 = b64(s->der, (size_t)s->der_len,
		    sodium_base64_VARIANT_ORIGINAL);
		jpush_str(x5c, cert64);
		free(cert64);
		jadd_str(env, "payload", payload);
		jadd_str(env, "protected", protected);
		jadd_obj(header, "x5c", x5c);
		jadd_str(header, "io.cncf.notary.signingAgent", "ecrd");
		jadd_obj(env, "header", header);
		jadd_str(env, "signature", sig);
		if ((text = jrender(env, len)) == NULL)
			*cause = xstrdup("rendering the envelope");
		json_object_put(env);
	}
	free(input);
	free(protected);
	free(payload);
	free(sig);
	return text;
}

/* The JSON array string of the chain's SHA-256 thumbprints, leaf first. */
static char *
thumbprints(const struct notary_signer *s)
{
	struct json_object *arr = jnew_arr();
	unsigned char h[32];
	char hex[65], *text;
	size_t len;

	crypto_hash_sha256(h, s->der, (unsigned long long)s->der_len);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	jpush_str(arr, hex);
	text = jrender(arr, &len);
	json_object_put(arr);
	return text;
}

char *
notary_manifest(const struct notary_signer *s, const char *env_digest,
    size_t env_len, const struct notary_target *t, int64_t now_s, size_t *len)
{
	struct json_object *m = jnew_obj(), *cfg = jnew_obj(), *layers,
	                   *layer = jnew_obj(), *ann = jnew_obj();
	char when[32], *thumbs, *text;

	rfc3339(now_s, when);
	jadd_i64(m, "schemaVersion", 2);
	jadd_str(m, "mediaType", "application/vnd.oci.image.manifest.v1+json");
	jadd_str(m, "artifactType", NOTARY_ARTIFACT_TYPE);
	jadd_str(cfg, "mediaType", NOTARY_EMPTY_TYPE);
	jadd_str(cfg, "digest", NOTARY_EMPTY_DIGEST);
	jadd_i64(cfg, "size", 2);
	jadd_obj(m, "config", cfg);
	layers = jnew_arr();
	jadd_str(layer, "mediaType", NOTARY_ENVELOPE_TYPE);
	jadd_str(layer, "digest", env_digest);
	jadd_i64(layer, "size", (int64_t)env_len);
	jpush(layers, layer);
	jadd_obj(m, "layers", layers);
	jadd_obj(m, "subject", descriptor(t));
	thumbs = thumbprints(s);
	jadd_str(ann, "io.cncf.notary.x509chain.thumbprint#S256", thumbs);
	jadd_str(ann, "org.opencontainers.image.created", when);
	jadd_obj(m, "annotations", ann);
	text = jrender(m, len);
	free(thumbs);
	json_object_put(m);
	return text;
}

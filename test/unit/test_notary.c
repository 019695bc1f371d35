/*
 * Unit tests for auth/notary.c: the key and certificate, the JWS envelope
 * (checked with libcrypto's own verify, not notary.c's code) and the
 * signature manifest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "auth/notary.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */
#define DIGEST                                                                 \
	"sha256:"                                                              \
	"73c803e10f1d6a4d1e11b37a3e2c4e5ff4a3e1e4b1a8c3d2e1f0a9b8c7d6c333"

static const struct notary_target target = {
    "application/vnd.oci.image.manifest.v1+json", DIGEST, 16724};

struct fx {
	char *key_pem;
	char *cert_pem;
	struct notary_signer *signer;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char *cause = NULL;

	assert_int_equal(notary_key_new("ecrd test", NOW, &f->key_pem,
	                     &f->cert_pem, &cause),
	    0);
	f->signer = notary_signer_new(f->key_pem, f->cert_pem, &cause);
	assert_non_null(f->signer);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	notary_signer_free(f->signer);
	free(f->key_pem);
	free(f->cert_pem);
	free(f);
	return 0;
}

/* base64url (no padding) or standard base64 into a new buffer. */
static unsigned char *
unb64(const char *in, int variant, size_t *len)
{
	unsigned char *out = malloc(strlen(in) + 1);

	assert_int_equal(sodium_base642bin(out, strlen(in) + 1, in, strlen(in),
	                     NULL, len, NULL, variant),
	    0);
	out[*len] = '\0';
	return out;
}

static struct json_object *
member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static const char *
str(struct json_object *o, const char *key)
{
	return json_object_get_string(member(o, key));
}

/* The certificate follows Notation's leaf rules (3.12). */
static void
test_notary_certificate_rules(void **state)
{
	struct fx *f = *state;
	BIO *b = BIO_new_mem_buf(f->cert_pem, -1);
	X509 *cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	EVP_PKEY *pub;

	assert_non_null(cert);
	assert_true(X509_get_extension_flags(cert) & EXFLAG_KUSAGE);
	assert_int_equal(X509_get_key_usage(cert), KU_DIGITAL_SIGNATURE);
	assert_true(X509_get_extended_key_usage(cert) & XKU_CODE_SIGN);
	assert_false(X509_check_ca(cert));
	pub = X509_get0_pubkey(cert);
	assert_int_equal(EVP_PKEY_get_bits(pub), 256);
	/* Self-signed: its own key verifies it. */
	assert_int_equal(X509_verify(cert, pub), 1);
	assert_true(ASN1_TIME_cmp_time_t(X509_get0_notBefore(cert), NOW) < 0);
	assert_true(ASN1_TIME_cmp_time_t(X509_get0_notAfter(cert), NOW) > 0);
	X509_free(cert);
	BIO_free(b);
}

static void
verify_es256(const char *cert_pem, const char *input, const char *sig64)
{
	BIO *b = BIO_new_mem_buf(cert_pem, -1);
	X509 *cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ECDSA_SIG *sig = ECDSA_SIG_new();
	unsigned char *raw, *der = NULL;
	size_t len;
	int der_len;

	raw = unb64(sig64, sodium_base64_VARIANT_URLSAFE_NO_PADDING, &len);
	assert_int_equal(len, 64);
	ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, NULL),
	    BN_bin2bn(raw + 32, 32, NULL));
	der_len = i2d_ECDSA_SIG(sig, &der);
	assert_true(der_len > 0);
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
	                     X509_get0_pubkey(cert)),
	    1);
	assert_int_equal(EVP_DigestVerify(md, der, (size_t)der_len,
	                     (const unsigned char *)input, strlen(input)),
	    1);
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	free(raw);
	X509_free(cert);
	BIO_free(b);
}

static void
test_notary_envelope_verifies(void **state)
{
	struct fx *f = *state;
	struct json_object *env, *h, *p, *t, *x5c;
	unsigned char *ht, *pt, *der;
	char *text, *cause = NULL, *input;
	size_t len, hl, pl, dl;
	BIO *b = BIO_new_mem_buf(f->cert_pem, -1);
	X509 *cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	const unsigned char *dp;
	X509 *got;

	text = notary_envelope(f->signer, &target, NOW, &len, &cause);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	env = json_tokener_parse(text);
	assert_non_null(env);
	assert_int_equal(json_object_object_length(env), 4);
	ht = unb64(str(env, "protected"),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING, &hl);
	pt = unb64(str(env, "payload"),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING, &pl);
	h = json_tokener_parse((char *)ht);
	assert_string_equal(str(h, "alg"), "ES256");
	assert_string_equal(str(h, "cty"), NOTARY_PAYLOAD_TYPE);
	assert_string_equal(str(h, "io.cncf.notary.signingScheme"),
	    "notary.x509");
	assert_string_equal(str(h, "io.cncf.notary.signingTime"),
	    "2026-01-01T00:00:00Z");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(
	                        member(h, "crit"), 0)),
	    "io.cncf.notary.signingScheme");
	p = json_tokener_parse((char *)pt);
	t = member(p, "targetArtifact");
	assert_string_equal(str(t, "mediaType"), target.media_type);
	assert_string_equal(str(t, "digest"), DIGEST);
	assert_int_equal(json_object_get_int64(member(t, "size")), 16724);
	/* x5c: the certificate's DER, standard base64. */
	x5c = member(member(env, "header"), "x5c");
	assert_int_equal(json_object_array_length(x5c), 1);
	der = unb64(json_object_get_string(json_object_array_get_idx(x5c, 0)),
	    sodium_base64_VARIANT_ORIGINAL, &dl);
	dp = der;
	got = d2i_X509(NULL, &dp, (long)dl);
	assert_non_null(got);
	assert_int_equal(X509_cmp(got, cert), 0);
	input = malloc(strlen(str(env, "protected")) +
	               strlen(str(env, "payload")) + 2);
	strcpy(input, str(env, "protected"));
	strcat(input, ".");
	strcat(input, str(env, "payload"));
	verify_es256(f->cert_pem, input, str(env, "signature"));
	free(input);
	X509_free(got);
	X509_free(cert);
	BIO_free(b);
	free(der);
	free(ht);
	free(pt);
	json_object_put(h);
	json_object_put(p);
	json_object_put(env);
	free(text);
}

static void
test_notary_manifest_shape(void **state)
{
	struct fx *f = *state;
	struct json_object *m, *layer, *ann, *thumbs;
	char *text;
	size_t len;

	text = notary_manifest(f->signer, DIGEST, 2104, &target, NOW, &len);
	assert_non_null(text);
	m = json_tokener_parse(text);
	assert_int_equal(json_object_get_int(member(m, "schemaVersion")), 2);
	assert_string_equal(str(m, "artifactType"), NOTARY_ARTIFACT_TYPE);
	assert_string_equal(str(member(m, "config"), "digest"),
	    NOTARY_EMPTY_DIGEST);
	assert_int_equal(json_object_array_length(member(m, "layers")), 1);
	layer = json_object_array_get_idx(member(m, "layers"), 0);
	assert_string_equal(str(layer, "mediaType"), NOTARY_ENVELOPE_TYPE);
	assert_int_equal(json_object_get_int64(member(layer, "size")), 2104);
	assert_string_equal(str(member(m, "subject"), "digest"), DIGEST);
	ann = member(m, "annotations");
	thumbs = json_tokener_parse(str(ann,
	    "io.cncf.notary.x509chain.thumbprint#S256"));
	assert_int_equal(json_object_array_length(thumbs), 1);
	assert_int_equal(strlen(json_object_get_string(
	                     json_object_array_get_idx(thumbs, 0))),
	    64);
	assert_string_equal(str(ann, "org.opencontainers.image.created"),
	    "2026-01-01T00:00:00Z");
	json_object_put(thumbs);
	json_object_put(m);
	free(text);
}

/* Another key's certificate, or text that is no PEM, is refused. */
static void
test_notary_signer_refuses_mismatches(void **state)
{
	struct fx *f = *state;
	char *k2, *c2, *cause = NULL;

	assert_int_equal(notary_key_new("other", NOW, &k2, &c2, &cause), 0);
	assert_null(notary_signer_new(f->key_pem, c2, &cause));
	assert_non_null(strstr(cause, "not the key's"));
	free(cause);
	cause = NULL;
	assert_null(notary_signer_new("junk", f->cert_pem, &cause));
	assert_non_null(cause);
	free(cause);
	free(k2);
	free(c2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_notary_certificate_rules,
	        setup, teardown),
	    cmocka_unit_test_setup_teardown(test_notary_envelope_verifies,
	        setup, teardown),
	    cmocka_unit_test_setup_teardown(test_notary_manifest_shape, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        test_notary_signer_refuses_mismatches, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

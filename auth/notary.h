/*
 * Notary Project signatures (JWS envelope, scheme notary.x509, ES256) of
 * an OCI manifest, and the signature manifest that stores one as a
 * referrer (docs/ecr-behaviour.md 3.12). Pure: keys and certificates come
 * and go as PEM text, and the caller gives the time.
 */
#ifndef ECRD_AUTH_NOTARY_H
#define ECRD_AUTH_NOTARY_H

#include <stddef.h>
#include <stdint.h>

#define NOTARY_ARTIFACT_TYPE "application/vnd.cncf.notary.signature"
#define NOTARY_ENVELOPE_TYPE "application/jose+json"
#define NOTARY_PAYLOAD_TYPE "application/vnd.cncf.notary.payload.v1+json"
/* The OCI empty descriptor's blob, the signature manifest's config. */
#define NOTARY_EMPTY_TYPE "application/vnd.oci.empty.v1+json"
#define NOTARY_EMPTY_BLOB "{}"
#define NOTARY_EMPTY_DIGEST                                                    \
	"sha256:"                                                              \
	"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

/* What is signed: the image manifest's descriptor. */
struct notary_target {
	const char *media_type;
	const char *digest;
	uint64_t size;
};

struct notary_signer;

/*
 * A new ECDSA P-256 key and a self-signed certificate for it, valid from
 * an hour before now_s for ten years, with the leaf rules Notation checks
 * (keyUsage critical digitalSignature, extendedKeyUsage codeSigning,
 * basicConstraints CA:FALSE). *key_pem and *cert_pem are owned. 0, or -1
 * with *cause (owned).
 */
int notary_key_new(const char *common_name, int64_t now_s, char **key_pem,
    char **cert_pem, char **cause);
/*
 * A signer from a PEM key (EC P-256) and its PEM certificate, which must
 * hold the same public key. NULL with *cause (owned) if not.
 */
struct notary_signer *notary_signer_new(const char *key_pem,
    const char *cert_pem, char **cause);
void notary_signer_free(struct notary_signer *);
/* The certificate as PEM, borrowed from the signer. */
const char *notary_signer_cert_pem(const struct notary_signer *);
/*
 * The JWS envelope (application/jose+json) signing target at now_s, and
 * its length; owned. NULL with *cause (owned) on a libcrypto failure.
 */
char *notary_envelope(const struct notary_signer *,
    const struct notary_target *, int64_t now_s, size_t *len, char **cause);
/*
 * The OCI image manifest that stores an envelope of env_len bytes with
 * digest env_digest as a referrer of target (artifactType
 * NOTARY_ARTIFACT_TYPE, config the empty descriptor, the certificate's
 * thumbprint annotation); owned, NULL if it cannot be rendered.
 */
char *notary_manifest(const struct notary_signer *, const char *env_digest,
    size_t env_len, const struct notary_target *, int64_t now_s, size_t *len);

#endif

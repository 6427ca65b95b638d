// SPDX-License-Identifier: GPL-2.0
/*
 * Signature verification with the kernel's own crypto. Keys are checked for
 * shape when the policy is set; the crypto layer does the rest at verify time.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <crypto/hash.h>
#include <crypto/public_key.h>
#include <keys/asymmetric-type.h>

#include "fwgate.h"
#include "compat.h"
#include "der.h"

#define RSA3072_SIG_LEN		384
#define P256_POINT_LEN		65
#define P256_SIG_MAX_LEN	72

bool fwgate_have_ecdsa(void)
{
#ifdef COMPAT_HAVE_ECDSA
	return true;
#else
	return false;
#endif
}

int fwgate_sha256(const void *data, size_t len, u8 *out)
{
	struct crypto_shash *tfm;
	int err;

	tfm = crypto_alloc_shash("sha256", 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	err = crypto_shash_tfm_digest(tfm, data, len, out);
	crypto_free_shash(tfm);
	return err;
}

int fwgate_key_check(struct fwgate_key *key, struct netlink_ext_ack *extack)
{
	u8 id[FWGATE_ID_LEN];
	int err;

	switch (key->alg) {
	case FWGATE_KEY_RSA3072:
		if (fwgate_der_rsa3072_check(key->data, key->len)) {
			NL_SET_ERR_MSG(extack, "key is not a DER RSAPublicKey of 3072 bits");
			return -EINVAL;
		}
		break;
	case FWGATE_KEY_P256:
		if (key->len != P256_POINT_LEN || key->data[0] != 0x04) {
			NL_SET_ERR_MSG(extack, "P-256 key must be a 65-byte uncompressed point");
			return -EINVAL;
		}
		if (!fwgate_have_ecdsa()) {
			NL_SET_ERR_MSG(extack, "this kernel has no ECDSA: use RSA-3072 keys");
			return -EOPNOTSUPP;
		}
		break;
	default:
		NL_SET_ERR_MSG(extack, "unknown key algorithm");
		return -EINVAL;
	}

	err = fwgate_sha256(key->data, key->len, id);
	if (err)
		return err;
	if (memchr_inv(key->id, 0, sizeof(key->id)) &&
	    memcmp(key->id, id, sizeof(id))) {
		NL_SET_ERR_MSG(extack, "key id is not the SHA-256 of the key");
		return -EINVAL;
	}
	memcpy(key->id, id, sizeof(id));
	return 0;
}

/*
 * Returns 0 for a good signature, -EINVAL when the signature can not be one
 * for this key (wrong length), -EKEYREJECTED when it does not verify.
 */
int fwgate_sig_verify(const struct fwgate_key *key, const void *msg, size_t len,
		      const u8 *sig, u32 sig_len)
{
	struct public_key pk = {};
	struct public_key_signature ps = {};
	u8 digest[FWGATE_ID_LEN];
	int err;

	switch (key->alg) {
	case FWGATE_KEY_RSA3072:
		if (sig_len != RSA3072_SIG_LEN)
			return -EINVAL;
		pk.pkey_algo = "rsa";
		ps.encoding = "pkcs1";
		break;
	case FWGATE_KEY_P256:
		if (sig_len < 8 || sig_len > P256_SIG_MAX_LEN)
			return -EINVAL;
		pk.pkey_algo = "ecdsa-nist-p256";
		ps.encoding = "x962";
		break;
	default:
		return -EINVAL;
	}

	err = fwgate_sha256(msg, len, digest);
	if (err)
		return err;

	pk.key = (void *)key->data;
	pk.keylen = key->len;
	pk.id_type = "X509";
	ps.pkey_algo = pk.pkey_algo;
	ps.hash_algo = "sha256";
	ps.s = (u8 *)sig;
	ps.s_size = sig_len;
	ps.digest = digest;
	ps.digest_size = sizeof(digest);

	err = public_key_verify_signature(&pk, &ps);
	if (err == -EBADMSG || err == -EINVAL || err == -EKEYREJECTED)
		return -EKEYREJECTED;
	return err;
}

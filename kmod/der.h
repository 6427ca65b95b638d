/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one DER parser in fwgate.ko: it checks that a policy key is an RSAPublicKey of
 * 3072 bits before the crypto layer sees it. Plain C with no kernel dependency, so that
 * tests/fuzz/fuzz_der.c can fuzz it in userspace (it includes <errno.h> and defines u8
 * and u32 before including this file).
 */
#ifndef _FWGATE_DER_H
#define _FWGATE_DER_H

/* Reads one DER tag+length; returns the content length or -1. */
static inline int der_read(const u8 **p, const u8 *end, u8 tag)
{
	size_t len, n;

	if (end - *p < 2 || **p != tag)
		return -1;
	(*p)++;
	len = *(*p)++;
	if (len & 0x80) {
		n = len & 0x7f;
		if (n == 0 || n > 2 || end - *p < n)
			return -1;
		for (len = 0; n; n--)
			len = (len << 8) | *(*p)++;
	}
	if (len > end - *p)
		return -1;
	return len;
}

/* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
static inline int fwgate_der_rsa3072_check(const u8 *der, u32 len)
{
	const u8 *p = der, *end = der + len;
	int n;

	n = der_read(&p, end, 0x30);
	if (n < 0 || n != end - p)
		return -EINVAL;
	n = der_read(&p, end, 0x02);
	if (n < 0)
		return -EINVAL;
	/* 3072 bits, with the sign byte DER adds when the top bit is set */
	if (!(n == 384 || (n == 385 && p[0] == 0)))
		return -EINVAL;
	p += n;
	n = der_read(&p, end, 0x02);
	if (n <= 0 || n > 8 || p + n != end)
		return -EINVAL;
	return 0;
}

#endif /* _FWGATE_DER_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * The userspace alternative to /dev/fwgate, for the benchmark: read an image, hash it with OpenSSL's
 * SHA-256 and write it to a block device, then fsync. Prints the digest.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <openssl/evp.h>

int main(int argc, char **argv)
{
	static unsigned char buf[1 << 20];
	unsigned char md[32];
	EVP_MD_CTX *ctx;
	ssize_t n;
	int in, out, i;

	if (argc != 3) {
		fprintf(stderr, "usage: pipeline IMAGE DEVICE\n");
		return 2;
	}
	in = open(argv[1], O_RDONLY);
	out = open(argv[2], O_WRONLY);
	if (in < 0 || out < 0) {
		perror("open");
		return 1;
	}
	ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(ctx, buf, n);
		if (write(out, buf, n) != n) {
			perror("write");
			return 1;
		}
	}
	if (n < 0 || fsync(out)) {
		perror("read/fsync");
		return 1;
	}
	EVP_DigestFinal_ex(ctx, md, NULL);
	for (i = 0; i < 32; i++)
		printf("%02x", md[i]);
	printf("\n");
	return 0;
}

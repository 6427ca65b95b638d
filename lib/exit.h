/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exit statuses shared by fwgate, fwgatectl, fwgated, fwgate-node and fwgate-checker, so that a script can
 * tell outcomes apart (the EXIT STATUS of each man page, Documentation/fwgate/tools.rst).
 * The values are those of sysexits.h, which leave 2 and 3 to fwgate-checker analyse's verdicts.
 */
#ifndef FWG_EXIT_H
#define FWG_EXIT_H

enum fwg_exit {
	FWG_EXIT_OK = 0,
	FWG_EXIT_FAIL = 1,		/* any other error: a file that can not be read, out of memory */
	FWG_EXIT_USAGE = 64,		/* a wrong command, option or argument; the message names it */
	FWG_EXIT_VERIFY = 65,		/* a signature, chain, proof or image does not verify: tampered or wrong */
	FWG_EXIT_UNREACHABLE = 69,	/* a node, fwgated or fwgate.ko did not answer */
	FWG_EXIT_REFUSED = 77,		/* fwgate.ko refused: the policy, a bundle or a write */
};

#endif

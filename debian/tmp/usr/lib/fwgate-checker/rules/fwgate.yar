// SPDX-License-Identifier: GPL-2.0
// fwgate's YARA rules (checker/ANALYSERS.md, analysers/yara): things no released firmware should contain.
// Each rule's description becomes the finding's detail; the matched bytes never go into a report, which is
// published, so that a leaked key is not leaked further.

rule private_key
{
	meta:
		description = "private key (PEM or OpenSSH header)"
	strings:
		$pem = /-----BEGIN ([A-Z0-9]+ )?PRIVATE KEY-----/
		$openssh = "-----BEGIN OPENSSH PRIVATE KEY-----"
		$putty = "PuTTY-User-Key-File-"
	condition:
		any of them
}

rule hardcoded_credentials
{
	meta:
		description = "hard-coded credential (password hash in a shadow/passwd line, or a quoted secret assignment)"
	strings:
		$shadow = /(^|\n)[a-z_][a-z0-9_-]{0,31}:\$(1|5|6|y|2[aby])\$[^:\n]{8,}:/
		$assign = /(password|passwd|secret|api_?key|auth_?token)["']?[ \t]*[:=][ \t]*["'][^"'%\s]{4,}["']/ nocase
	condition:
		any of them
}

rule backdoor_marker
{
	meta:
		description = "known backdoor marker"
	strings:
		$fwgate = "FWGATE-TEST-BACKDOOR"	// the project's own test marker
		$dlink = "xmlset_roodkcableoj28840ybtide"	// D-Link web server authentication bypass (2013)
		$telnet_shell = /telnetd[ \t]+(-[a-z][ \t]+\S+[ \t]+)*-l[ \t]*\/bin\/(ba)?sh/
	condition:
		any of them
}

rule known_bad_string
{
	meta:
		description = "known-bad test string (EICAR)"
	strings:
		$eicar = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE"
	condition:
		any of them
}

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Drives the fwgate netlink family with the kernel's stock YNL CLI (tools/net/ynl/cli.py of linux-source-6.12,
# extracted into build/ynl) from Documentation/netlink/specs/fwgate.yaml, in the test VM:
#   tests/vm/run -k KVER -- tests/netlink/ynl-vm.py
# Every operation, both dumps and the events group, then malformed requests whose extack must name the
# attribute (cli.py decodes the extack offset into an attribute path with the spec). Keys, statements and
# signatures are made here with openssl. Prints TAP; exits non-zero if a case failed.
#
# FWGATE_KO          the module built for this kernel (build/modules/KVER/fwgate.ko)
# FWGATE_TEST_KEYS   RSA-3072 keys manufacturer.pem, checker0.pem... (build/tests/keys, from
#                    "fwgate_test --gen-keys DIR" on the host)

import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, 'build/ynl/tools/net/ynl')
from lib import YnlFamily  # noqa: E402  the stock YNL library, for the refusal events

KVER = os.environ.get('FWGATE_KVER', os.uname().release)
KO = os.environ.get('FWGATE_KO', f'build/modules/{KVER}/fwgate.ko')
CLI = 'build/ynl/tools/net/ynl/cli.py'
SPEC = 'Documentation/netlink/specs/fwgate.yaml'
SCHEMA = 'build/ynl/Documentation/netlink/genetlink.yaml'
SYSFS = '/sys/kernel/fwgate'
KEYS = os.environ.get('FWGATE_TEST_KEYS', 'build/tests/keys')
NOBODY = 65534

cases = 0
failed = 0


def tap(ok, name, detail=''):
    global cases, failed
    cases += 1
    if not ok:
        failed += 1
    print(f"{'ok' if ok else 'not ok'} {cases} - {name}")
    if not ok and detail:
        for line in str(detail).splitlines():
            print(f'#   {line}')


def bail(why):
    print(f'Bail out! {why}')
    sys.exit(1)


def run(*cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


_staged = None


def staged():
    """cli.py, the spec and the schema where an unprivileged user reads them: a copy under the guest's /tmp.

    The checkout may be one nobody can not enter (a clone in root's 0700 home, seen by the guest with the
    host's permissions over 9p), so the runs as nobody do not read it, nor start in it.
    """
    global _staged
    if _staged is None:
        d = tempfile.mkdtemp(prefix='fwgate-ynl.')
        os.chmod(d, 0o755)
        shutil.copytree(os.path.dirname(CLI), os.path.join(d, 'ynl'))
        shutil.copy(SPEC, d)
        shutil.copy(SCHEMA, d)
        for root, dirs, files in os.walk(d):
            for n in dirs:
                os.chmod(os.path.join(root, n), 0o755)
            for n in files:
                os.chmod(os.path.join(root, n), 0o644)
        _staged = (os.path.join(d, 'ynl', os.path.basename(CLI)), os.path.join(d, os.path.basename(SPEC)),
                   os.path.join(d, os.path.basename(SCHEMA)), d)
    return _staged


class Ynl:
    """One cli.py call: its reply or notifications (JSON), or its netlink error and extack."""

    def __init__(self, args, user=None):
        cli, spec, schema, cwd = CLI, SPEC, SCHEMA, None
        if user is not None:
            cli, spec, schema, cwd = staged()
        cmd = ['python3', cli, '--spec', spec, '--schema', schema, '--output-json'] + args
        if user is not None:
            cmd = ['setpriv', f'--reuid={user}', f'--regid={user}', '--clear-groups'] + cmd
        p = run(*cmd, cwd=cwd, env=dict(os.environ, PYTHONDONTWRITEBYTECODE='1'))
        self.out, self.stderr, self.rc = p.stdout, p.stderr, p.returncode
        self.error = None
        self.extack = {}
        self.json = []
        m = re.search(r'^Netlink error: (.*)$', self.out, re.M)
        if m:
            self.error = m.group(1)
            ext = re.search(r"^\s*extack: (\{.*\})$", self.out, re.M)
            if ext:
                self.extack = eval(ext.group(1), {'__builtins__': {}})
        else:
            for line in self.out.splitlines():
                if line.strip():
                    self.json.append(json.loads(line))

    def why(self):
        return f'rc {self.rc}\nstdout: {self.out}\nstderr: {self.stderr[-2000:]}'


def hx(value):
    """A binary attribute as cli.py prints it: hex, spaced where the spec gives display-hint: hex."""
    return value.replace(' ', '') if isinstance(value, str) else value


def ynl_do(op, attrs=None, **kw):
    return Ynl(['--do', op] + (['--json', json.dumps(attrs)] if attrs is not None else []), **kw)


def ynl_dump(op):
    return Ynl(['--dump', op])


def errno_text(e):
    return os.strerror(e)


def sysfs(path):
    with open(f'{SYSFS}/{path}') as f:
        return f.read().strip()


def counter(name):
    return int(sysfs(f'counters/{name}'))


# ------------------------------------------------------------------ keys and signed statements

work = tempfile.mkdtemp(prefix='fwgate-ynl-')


def rsa_key(name):
    """An RSA-3072 key of FWGATE_TEST_KEYS (fwgate_test --gen-keys, on the host: keygen under TCG is slow)."""
    pem = f'{KEYS}/{name}.pem'
    der = subprocess.run(['openssl', 'rsa', '-in', pem, '-pubout', '-RSAPublicKey_out', '-outform', 'DER'],
                         capture_output=True).stdout
    if not der:
        bail(f'{pem}: not an RSA key (fwgate_test --gen-keys {KEYS}, on the host)')
    return {'pem': pem, 'der': der, 'id': hashlib.sha256(der).digest()}


def sign(key, data):
    path = f'{work}/msg'
    with open(path, 'wb') as f:
        f.write(data)
    p = subprocess.run(['openssl', 'dgst', '-sha256', '-sign', key['pem'], path], capture_output=True)
    if p.returncode:
        bail('openssl dgst -sign failed')
    return p.stdout


def key_attr(key):
    return {'alg': 1, 'data': key['der'].hex(), 'id': key['id'].hex()}


OTYPE = 'ynl-board'
GROUP = 'fw'


CHUNK = 1 << 20


def chunks_digest(image):
    """The statement's chunks field: SHA-256 of "FWGCHK01", be32 chunk length, then each chunk's SHA-256."""
    h = hashlib.sha256(b'FWGCHK01' + struct.pack('>I', CHUNK))
    for off in range(0, len(image), CHUNK):
        h.update(hashlib.sha256(image[off:off + CHUNK]).digest())
    return h.digest()


def statement(mfr, image, version, magic=b'FWGUPD02'):
    return struct.pack('>8s32s32sQQ32s32s32sQ32s', magic, mfr['id'], hashlib.sha256(image).digest(),
                       version, len(image), OTYPE.encode(), GROUP.encode(), bytes(32), 1700000000,
                       chunks_digest(image))


def verdict(checker, stmt, approve=True):
    report = hashlib.sha256(b'report of ' + checker['id']).digest()
    magic = b'FWGAPR01' if approve else b'FWGREJ01'
    signed = magic + checker['id'] + report + stmt
    return {'kind': 1 if approve else 2, 'checker': checker['id'].hex(), 'report': report.hex(),
            'signature': sign(checker, signed).hex()}


def bundle(mfr, stmt, verdicts):
    return {'statement': stmt.hex(), 'signature': sign(mfr, stmt).hex(), 'verdict': verdicts}


# ------------------------------------------------------------------ setup

def setup():
    if os.environ.get('FWGATE_VM') != '1':
        bail('run me in the test VM: tests/vm/run -k KVER -- tests/netlink/ynl-vm.py')
    for f in (KO, CLI, SCHEMA):
        if not os.path.exists(f):
            bail(f'{f} is missing (make, make ynl)')
    deps = run('modinfo', '-F', 'depends', KO).stdout.strip()
    for mod in ['loop'] + [d for d in deps.split(',') if d]:
        if run('modprobe', mod).returncode:
            bail(f'modprobe {mod} failed')
    if run('modprobe', 'mtdram', 'total_size=1024', 'erase_size=64').returncode:
        bail('modprobe mtdram failed')
    if run('insmod', KO).returncode:
        bail(f'insmod {KO} failed')
    with open(f'{work}/state.img', 'wb') as f:
        f.truncate(1 << 20)
    loop = run('losetup', '--show', '-f', f'{work}/state.img').stdout.strip()
    if not loop:
        bail('losetup failed')
    with open(f'{SYSFS}/state_device', 'w') as f:
        f.write(loop)
    with open(f'{SYSFS}/targets/add', 'w') as f:
        f.write(f'slot /dev/mtd0 {GROUP}')


# ------------------------------------------------------------------ cases

def main():
    setup()
    print(f'# ynl (linux-source-6.12 cli.py) against fwgate.ko on {KVER}')
    mfr = rsa_key('manufacturer')
    checkers = [rsa_key(f'checker{i}') for i in range(3)]
    policy = {'otype': OTYPE, 'device-id': hashlib.sha256(b'device').hexdigest(), 'threshold': 2,
              'manufacturer': key_attr(mfr), 'checker': [key_attr(c) for c in checkers]}

    r = ynl_do('policy-get')
    tap(r.error == errno_text(126), 'policy-get without a policy is ENOKEY', r.why())

    r = ynl_do('policy-set', policy)
    tap(r.rc == 0 and r.error is None, 'policy-set with a manufacturer and three checkers', r.why())

    r = ynl_do('policy-get')
    got = r.json[0] if r.json else {}
    tap(got.get('otype') == OTYPE and got.get('threshold') == 2 and got.get('locked') == 0 and
        hx(got.get('manufacturer', {}).get('id')) == mfr['id'].hex() and
        [hx(c.get('id')) for c in got.get('checker', [])] == [c['id'].hex() for c in checkers] and
        [hx(c.get('data')) for c in got.get('checker', [])] == [c['der'].hex() for c in checkers],
        'policy-get returns the policy, the checkers as a multi-attr in order', r.why())

    r = ynl_do('policy-get', {'threshold': 1})
    tap(r.error == errno_text(22) and r.extack.get('bad-attr') == '.threshold',
        'policy-get refuses any attribute (per-op policy), extack names it', r.why())

    # bundle-submit, with its notification on "events". The events are read with the stock YNL library:
    # 6.12's cli.py --subscribe breaks when a notification comes before the reply, as ours do.
    events = YnlFamily(SPEC, SCHEMA)
    events.ntf_subscribe('events')

    def notifications():
        events.check_ntf()
        got = [n['msg'] for n in events.async_msg_queue if n['name'] == 'approval-ntf']
        events.async_msg_queue.clear()
        return got

    image = os.urandom(4096)
    stmt = statement(mfr, image, 3)
    accepted = counter('approvals_accepted')
    r = ynl_do('bundle-submit', bundle(mfr, stmt, [verdict(checkers[0], stmt), verdict(checkers[2], stmt)]))
    reply = r.json[0] if r.json else {}
    upd = reply.get('update', {})
    tap(hx(upd.get('id')) == hashlib.sha256(image).hexdigest() and upd.get('state') == 'approved' and
        upd.get('approvals') == 2 and upd.get('accepted') == 2 and upd.get('ignored') == 0 and
        upd.get('version') == 3 and upd.get('size') == len(image) and upd.get('target') == GROUP,
        'bundle-submit with two approvals: the update is approved', r.why())
    tap(counter('approvals_accepted') == accepted + 2, 'bundle-submit counts two accepted verdicts')
    ntf = notifications()
    tap(len(ntf) == 1 and ntf[0].get('event') == 'approval-accepted' and
        ntf[0].get('update', {}).get('accepted') == 2 and
        hx(ntf[0].get('update', {}).get('id')) == hashlib.sha256(image).hexdigest(),
        'events: approval-ntf approval-accepted with the update', ntf)

    r = ynl_dump('update-get')
    ups = [m.get('update', {}) for m in (r.json[0] if r.json else [])]
    tap(any(hx(u.get('id')) == hashlib.sha256(image).hexdigest() and u.get('state') == 'approved' and
            'accepted' not in u for u in ups),
        'update-get dumps the update, without accepted and ignored', r.why())

    r = ynl_dump('target-get')
    tgs = [m.get('target', {}) for m in (r.json[0] if r.json else [])]
    tap(any(t.get('name') == 'slot' and t.get('group') == GROUP and t.get('type') == 'mtd' and
            t.get('size') == 1 << 20 and t.get('spec') == '/dev/mtd0' and t.get('state') == 'unknown'
            for t in tgs), 'target-get dumps the mtd target', r.why())

    r = Ynl(['--dump', 'target-get', '--json', json.dumps({'otype': 'x'})])
    tap(r.error == errno_text(22) and r.extack.get('bad-attr') == '.otype',
        'target-get refuses a request attribute, extack names it', r.why())

    # Malformed requests: the errno, and the extack naming the attribute. A refusal of the module's own
    # (not of netlink's policy tables) also sets last_error; a refused bundle also counts and is announced.
    def refused(name, op, attrs, err, bad=None, missing=None, nested=False, msg=None, by_module=True):
        before = counter('approvals_refused')
        r = ynl_do(op, attrs)
        ok = r.error == errno_text(err)
        if bad:
            ok = ok and r.extack.get('bad-attr') == bad
        if missing:
            ok = ok and r.extack.get('miss-type') == missing
        if nested:
            ok = ok and 'miss-nest' in r.extack
        if msg:
            ok = ok and msg in r.extack.get('msg', '')
        last = sysfs('last_error')
        if by_module:
            ok = ok and bool(r.extack.get('msg')) and last.endswith(' ' + r.extack['msg'])
        ntf = notifications()
        if op == 'bundle-submit' and by_module:
            ok = ok and counter('approvals_refused') == before + 1
            ok = ok and len(ntf) == 1 and ntf[0].get('event') == 'approval-refused' and \
                ntf[0].get('errno') == err and ntf[0].get('reason') == r.extack.get('msg')
        else:
            ok = ok and not ntf and counter('approvals_refused') == before
        tap(ok, name, r.why() + f'\nlast_error: {last}\nevents: {ntf}')

    low = dict(policy, threshold=1)
    refused('policy-set with q below floor(k/2)+1: extack names threshold', 'policy-set', low, 22,
            bad='.threshold')
    dup = dict(policy, checker=[key_attr(checkers[0]), key_attr(checkers[1]), key_attr(checkers[0])])
    refused('policy-set with a checker listed twice: extack names the checker', 'policy-set', dup, 22,
            bad='.checker')
    short = dict(policy, checker=[dict(key_attr(checkers[0]), data='3000')] +
                 [key_attr(c) for c in checkers[1:]])
    refused('policy-set with a malformed checker key: extack names the checker', 'policy-set', short, 22,
            bad='.checker')
    wrong_id = dict(policy, manufacturer=dict(key_attr(mfr), id=checkers[0]['id'].hex()))
    refused('policy-set with a key id that is not its SHA-256: extack names the manufacturer',
            'policy-set', wrong_id, 22, bad='.manufacturer')
    nokey = {k: v for k, v in policy.items() if k != 'checker'}
    refused('policy-set without a checker: extack names the missing type', 'policy-set', nokey, 22,
            missing='checker')
    refused('policy-set with an attribute of another operation: extack names it', 'policy-set',
            dict(policy, statement=stmt.hex()), 22, bad='.statement', by_module=False)
    long_otype = dict(policy, otype='x' * 40)
    refused('policy-set with an otype over 31 bytes: policy table, extack names it', 'policy-set',
            long_otype, 22, bad='.otype', by_module=False)

    stmt2 = statement(mfr, os.urandom(4096), 4)
    b = bundle(mfr, stmt2, [verdict(checkers[0], stmt2)])
    refused('bundle-submit without statement: refusal path, extack names the missing type',
            'bundle-submit', {k: v for k, v in b.items() if k != 'statement'}, 22,
            missing='statement')
    refused('bundle-submit without signature: refusal path, extack names the missing type',
            'bundle-submit', {k: v for k, v in b.items() if k != 'signature'}, 22,
            missing='signature')
    bad_magic = statement(mfr, os.urandom(4096), 4, magic=b'FWGXXX01')
    refused('bundle-submit with a wrong statement magic: extack names statement', 'bundle-submit',
            bundle(mfr, bad_magic, []), 22, bad='.statement')
    refused('bundle-submit with an oversized signature: extack names signature', 'bundle-submit',
            dict(b, signature='00' * 600), 22, bad='.signature')
    forged = dict(b, signature=sign(checkers[0], stmt2).hex())
    refused('bundle-submit with a forged manufacturer signature: extack names signature',
            'bundle-submit', forged, 129, bad='.signature')
    badv = verdict(checkers[1], stmt2)
    badv['signature'] = verdict(checkers[1], stmt)['signature']
    refused('bundle-submit with a verdict that does not verify: extack names the verdict',
            'bundle-submit', dict(b, verdict=[badv]), 129, bad='.verdict')
    twice = [verdict(checkers[1], stmt2), verdict(checkers[1], stmt2)]
    refused('bundle-submit with a checker twice: extack names the verdict', 'bundle-submit',
            dict(b, verdict=twice), 22, bad='.verdict')
    nokind = verdict(checkers[1], stmt2)
    del nokind['kind']
    # cli.py names a missing type at the top level only: here it is 1, kind, in the verdict nest.
    refused('bundle-submit with a verdict without kind: extack names the missing type and nest',
            'bundle-submit', dict(b, verdict=[nokind]), 22, missing=1, nested=True)

    # update-control: a pause by the manufacturer, a withdrawal by two checkers (q = 2), each signature a nest.
    def control(magic, u_id, seq, signers):
        c = struct.pack('>8s32s32sQQ', magic, u_id, bytes(32), seq, 1700000000)
        return {'control': c.hex(),
                'control-sig': [{'signer': k['id'].hex(), 'signature': sign(k, c).hex()} for k in signers]}

    u_id = hashlib.sha256(image).digest()
    r = ynl_do('update-control', control(b'FWGPAU01', u_id, 1, [mfr]))
    upd = (r.json[0] if r.json else {}).get('update', {})
    tap(upd.get('state') == 'approved' and upd.get('paused') == 1 and upd.get('control-seq') == 1,
        'update-control: a pause signed by the manufacturer, the update nest says paused', r.why())
    r = ynl_do('update-control', control(b'FWGWDR01', u_id, 0, checkers[:2]))
    upd = (r.json[0] if r.json else {}).get('update', {})
    tap(upd.get('state') == 'withdrawn', 'update-control: a withdrawal by two checkers', r.why())
    r = ynl_dump('update-get')
    ups = [m.get('update', {}) for m in (r.json[0] if r.json else [])]
    tap(any(hx(u.get('id')) == u_id.hex() and u.get('state') == 'withdrawn' for u in ups),
        'update-get dumps the update withdrawn', r.why())
    c = control(b'FWGWDR01', hashlib.sha256(b'other').digest(), 0, checkers[:1])
    refused('update-control: a withdrawal by one checker of q = 2 is EACCES, extack names control-sig',
            'update-control', c, 13, bad='.control-sig')
    refused('update-control without control: extack names the missing type', 'update-control',
            {'control-sig': c['control-sig']}, 22, missing='control')
    refused('update-control with a control of 87 bytes: policy table (exact-len: ERANGE), extack names it',
            'update-control', dict(c, control=c['control'][:-2]), 34, bad='.control', by_module=False)
    forged = control(b'FWGPAU01', u_id, 9, [mfr])
    forged['control-sig'][0]['signature'] = sign(checkers[0], bytes.fromhex(forged['control'])).hex()
    refused('update-control with a forged signature: EKEYREJECTED, extack names the nest', 'update-control',
            forged, 129, bad='.control-sig')

    # The events group needs CAP_NET_ADMIN; the policy does not.
    r = Ynl(['--do', 'policy-get', '--subscribe', 'events'])
    tap(r.rc == 0 and r.json and r.json[0].get('otype') == OTYPE, 'cli.py joins events as root', r.why())
    r = Ynl(['--do', 'policy-get', '--subscribe', 'events'], user=NOBODY)
    tap(r.rc != 0 and 'PermissionError' in r.stderr + r.out,
        'cli.py joining events as nobody is refused', r.why())
    r = ynl_do('policy-get', user=NOBODY)
    tap(r.rc == 0 and r.json and r.json[0].get('otype') == OTYPE, 'policy-get as nobody', r.why())
    r = ynl_do('policy-set', policy, user=NOBODY)
    tap(r.error == errno_text(1), 'policy-set as nobody is EPERM', r.why())

    # The sysfs administration surface is what Documentation/ABI says, targets/<name>/ included.
    documented = set()
    with open('Documentation/ABI/testing/sysfs-kernel-fwgate') as f:
        for line in f:
            if line.startswith('What:'):
                documented.add(line.split(None, 1)[1].strip().replace('<name>', 'slot').rstrip('/'))
    live = set()
    for root, dirs, files in os.walk(SYSFS):
        live.add(root)
        live.update(os.path.join(root, f) for f in files)
    tap(documented == live, 'sysfs: the documented files are the live tree, targets/<name>/ included',
        f'undocumented: {sorted(live - documented)}\nmissing: {sorted(documented - live)}')

    # The trust anchor: nothing sealed before the lock; a rotation's encoding is decoded strictly.
    r = ynl_do('policy-get')
    got = r.json[0] if r.json else {}
    digest = hx(got.get('digest', ''))
    tap(got.get('epoch') == 1 and len(digest) == 64 and got.get('sealed-epoch') == 0,
        'policy-get reports epoch 1, the digest, and no anchor before the lock', r.why())
    stmt = (b'FWGROT01' + bytes.fromhex(digest or '00' * 32) + (1).to_bytes(8, 'big') +
            bytes(32) + (2).to_bytes(8, 'big') + bytes(8))
    refused('policy-rotate with an encoding of another magic: extack names policy-encoding',
            'policy-rotate', {'rotate-statement': stmt.hex(),
                              'policy-encoding': (b'FWGPOL02' + bytes(16)).hex(),
                              'signer': [{'key-id': mfr['id'].hex(), 'signature': '00'}]}, 22,
            bad='.policy-encoding', msg='policy encoding: magic')
    refused('policy-rotate without a signer: extack names the missing type', 'policy-rotate',
            {'rotate-statement': stmt.hex(), 'policy-encoding': '00'}, 22, missing='signer')

    r = ynl_do('policy-lock')
    tap(r.rc == 0 and r.error is None, 'policy-lock', r.why())
    r = ynl_do('policy-get')
    tap(r.json and r.json[0].get('locked') == 1, 'policy-get reports the lock', r.why())
    got = r.json[0] if r.json else {}
    tap(got.get('sealed-epoch') == 1 and hx(got.get('sealed-digest')) == digest,
        'the first lock seals the policy: sealed-epoch and sealed-digest are its own', r.why())
    refused('policy-set once locked is EPERM with a message', 'policy-set', policy, 1,
            msg='locked')

    print(f'1..{cases}')
    print(f'# {cases - failed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

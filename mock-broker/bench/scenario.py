#!/usr/bin/env python3
"""A scenario with N users for load tests: each its own entity and one device.

Usage: python3 mock-broker/bench/scenario.py N [dsc_plus|ib_key] > /tmp/bench-N.toml

Users are u000001..uN, password "Trade2026". With dsc_plus (the default) the password
step answers a challenge; with ib_key every login sends a push to one phone, "bench-phone".
Load it with cheap hashing (the figures are the store's, not Argon2's):
  mock-broker serve --qa --state DIR --scenario FILE --argon2-memory-kib 8 --argon2-iterations 1
"""
import sys

n = int(sys.argv[1])
kind = sys.argv[2] if len(sys.argv) > 2 else "dsc_plus"
out = sys.stdout.write
if kind == "ib_key":
    out('[[phones]]\nid = "bench-phone"\nnumber = "7700900999"\n\n')
secret = "3132333435363738393031323334353637383930313233343536373839303132"
for i in range(1, n + 1):
    u = f"u{i:06d}"
    out(f'[[entities]]\nid = "e{u}"\nname = "Entity {u}"\naccount = "U{i:07d}"\n'
        f'equity_usd = 2_000_000\nidentification = {{}}\n\n')
    out(f'[[users]]\nusername = "{u}"\nfull_name = "User {u}"\npassword = "Trade2026"\n'
        f'entity = "e{u}"\nprimary = true\n\n')
    if kind == "ib_key":
        out(f'[[devices]]\nid = "IBK-{i:08d}"\nkind = "ib_key"\nowner = "{u}"\n'
            f'phone = "bench-phone"\nsecurity = "pin"\nsecret = "{secret}"\npin = "1234"\n\n')
    else:
        out(f'[[devices]]\nid = "DSCP-{i:08d}"\nkind = "dsc_plus"\nowner = "{u}"\n'
            f'secret = "{secret}"\npin = "1234"\nstatus = "active"\n\n')

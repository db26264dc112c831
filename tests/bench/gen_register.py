#!/usr/bin/env python3
"""Writes a realistic file register (DOMAIN.md §5) for benchmarks and tests.

usage: gen_register.py ROWS OUT.csv [SEED] [--prefix P]  (codes P0000000…, default prefix "P")
10 procedure types, starts over 2021-2025, about a third still pending, some suspensions,
conferences and silent assents; about 50 bytes a row.
"""
import random
import sys
from datetime import date, timedelta

PROCEDURES = [("PDC", 60), ("SCIA", 30), ("CILA", 30), ("PAESAGGISTICA", 105), ("AUA", 120),
              ("VERIFICA_VIA", 90), ("AU_FER", 90), ("PAS_FER", 30), ("GARA_LAVORI", 270),
              ("SCAVI_BUL", 30)]


def main():
    args = sys.argv[1:]
    prefix = "P"
    if "--prefix" in args:
        i = args.index("--prefix")
        prefix = args[i + 1]
        del args[i:i + 2]
    rows, out = int(args[0]), args[1]
    rng = random.Random(int(args[2]) if len(args) > 2 else 7)
    first = date(2021, 1, 1).toordinal()
    span = date(2025, 12, 31).toordinal() - first
    last = date(2025, 12, 31)
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write("codice_pratica;procedimento;data_avvio;termine_giorni;data_conclusione;"
                "data_silenzio_assenso;conferenza_servizi;giorni_sospensione\n")
        buf = []
        for i in range(rows):
            code, term = PROCEDURES[rng.randrange(len(PROCEDURES))]
            start = date.fromordinal(first + rng.randrange(span))
            end = start + timedelta(days=int(rng.expovariate(1 / (term * 1.2))))
            kind = rng.random()
            decision = silent = ""
            if end <= last and kind < 0.62:
                decision = end.isoformat()
            elif end <= last and kind < 0.70:
                silent = end.isoformat()
            conference = "sì" if rng.random() < 0.1 else "no"
            suspension = rng.randrange(1, 60) if rng.random() < 0.2 else 0
            term_text = "" if rng.random() < 0.3 else str(term)
            buf.append(f"{prefix}{i:07d};{code};{start.isoformat()};{term_text};{decision};{silent};"
                       f"{conference};{suspension}\n")
            if len(buf) >= 10000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))


if __name__ == "__main__":
    main()

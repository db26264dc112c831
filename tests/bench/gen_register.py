#!/usr/bin/env python3
"""Writes a realistic file register (DOMAIN.md §5) for benchmarks and tests.

usage: gen_register.py ROWS OUT.csv [SEED] [--prefix P] [--hard]  (codes P0000000…, default prefix "P")
--hard: every procedure of the catalog (20), dates in both formats (YYYY-MM-DD and D/M/YYYY), empty
and explicit terms, suspensions, conferences written «sì», «si», «no» or empty, silent assents.
10 procedure types, starts over 2021-2025, about a third still pending, some suspensions,
conferences and silent assents; about 50 bytes a row.
"""
import random
import sys
from datetime import date, timedelta

PROCEDURES = [("PDC", 60), ("SCIA", 30), ("CILA", 30), ("PAESAGGISTICA", 105), ("AUA", 120),
              ("VERIFICA_VIA", 90), ("AU_FER", 90), ("PAS_FER", 30), ("GARA_LAVORI", 270),
              ("SCAVI_BUL", 30)]


HARD = [("VIA_PAUR", 150), ("VERIFICA_VIA", 90), ("AIA", 150), ("AUA", 120), ("BONIFICA", 180),
        ("AU_FER", 90), ("PAS_FER", 30), ("RIFIUTI_SEMPLIFICATA", 90), ("PDC", 60),
        ("PDC_SANATORIA", 60), ("CILA", 30), ("SCIA", 30), ("PAESAGGISTICA", 105),
        ("PIANO_ATTUATIVO", 90), ("GARA_LAVORI", 270), ("GARA_SERVIZI", 270), ("IMPIANTI_TLC", 90),
        ("SCAVI_BUL", 30), ("RENDICONTAZIONE_PNRR", 30), ("RIFIUTI_208", 150)]


def main():
    args = sys.argv[1:]
    prefix = "P"
    if "--prefix" in args:
        i = args.index("--prefix")
        prefix = args[i + 1]
        del args[i:i + 2]
    hard = "--hard" in args
    if hard:
        args.remove("--hard")
    rows, out = int(args[0]), args[1]
    rng = random.Random(int(args[2]) if len(args) > 2 else 7)
    first = date(2021, 1, 1).toordinal()
    span = date(2025, 12, 31).toordinal() - first
    last = date(2025, 12, 31)
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write("codice_pratica;procedimento;data_avvio;termine_giorni;data_conclusione;"
                "data_silenzio_assenso;conferenza_servizi;giorni_sospensione\n")
        buf = []
        procedures = HARD if hard else PROCEDURES

        def day(d):
            # --hard: half the dates as D/M/YYYY (one-digit day and month where they have one).
            if hard and rng.random() < 0.5:
                return f"{d.day}/{d.month}/{d.year}"
            return d.isoformat()

        for i in range(rows):
            code, term = procedures[rng.randrange(len(procedures))]
            start = date.fromordinal(first + rng.randrange(span))
            end = start + timedelta(days=int(rng.expovariate(1 / (term * 1.2))))
            kind = rng.random()
            decision = silent = ""
            if end <= last and kind < 0.62:
                decision = day(end)
            elif end <= last and kind < 0.70:
                silent = day(end)
            if hard:
                conference = rng.choice(["sì", "si", "no", "", "", "", "", "", "", ""])
            else:
                conference = "sì" if rng.random() < 0.1 else "no"
            suspension = rng.randrange(1, 60) if rng.random() < 0.2 else 0
            if hard and suspension == 0 and rng.random() < 0.5:
                suspension = ""
            term_text = "" if rng.random() < 0.3 else str(term)
            buf.append(f"{prefix}{i:07d};{code};{day(start)};{term_text};{decision};{silent};"
                       f"{conference};{suspension}\n")
            if len(buf) >= 10000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))


if __name__ == "__main__":
    main()

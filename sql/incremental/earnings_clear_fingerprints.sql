-- Before recording a kept build's per-company fingerprints: forget the previous build's.
delete from ops.earnings_fingerprints

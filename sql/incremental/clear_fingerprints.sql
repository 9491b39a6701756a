-- Before recording a kept build's fingerprints: forget the previous build's.
delete from ops.price_fingerprints

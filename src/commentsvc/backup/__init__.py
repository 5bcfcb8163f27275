"""A site's export as a file: JSON Lines (model/backup.py's records), gzipped or not, written
for its owner's eyes only and read back a line at a time."""

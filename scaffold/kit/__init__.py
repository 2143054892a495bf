"""The kit: answers, prompts, packs, pins, rendering, the record and writing files."""

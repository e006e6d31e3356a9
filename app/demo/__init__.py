"""The Yangpu riverside demo (fictional positions and states; real place vocabulary)."""

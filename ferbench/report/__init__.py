"""The generated markdown leaderboard and its figures, from stored results alone."""

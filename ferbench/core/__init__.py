"""The contracts everything else builds on: FaceSet, labels, Method, Dataset, the registry,
budgets and errors. Imports nothing else of ferbench."""

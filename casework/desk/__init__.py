"""The volunteers' desk: who may act (`access`), and what they do with cases: the queue
(`queue`), one case (`case`), talking to its person (`talk`), and membership (`members`)."""

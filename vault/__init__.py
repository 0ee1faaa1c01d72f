"""The client-held vault: detected values, encrypted per data subject, revealed only with a
reason, erased by destroying the subject's key. Never imports pipeline or connectors."""

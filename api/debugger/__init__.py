"""The replay debugger: real Temporal history replayed with the SDK's Replayer
and a recording interceptor (recorder), a steppable node timeline (timeline),
figures from history timestamps (performance) and history -> live events (events)."""

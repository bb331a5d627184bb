"""`flask --app app blinding audit`: the attacker that proves whether the blind holds.

It runs a trial in a scratch database the way a pharmacy and a ward would (`trial`), collects everything each
blinded role may read (`collect`), then attacks each bag's arm with only what that role read (`attacks`) and
scores the attacks against the true arms and against permuted ones (`stats`). See `report.run`."""

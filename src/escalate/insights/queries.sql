-- The aggregation behind `escalate report`, written once for DuckDB (one machine) and Spark
-- SQL (a cluster): only what both dialects read the same way. Every division, rounding and
-- ratio happens in Python afterwards, so both engines hand back the same integers and levels.
-- Each block starts with `-- name: <name>`; `$name` parameters are integers or SQL chosen by
-- the code, never data. Time buckets start at `$offset` past the epoch's bucket edges (weeks
-- start on Mondays).

-- name: conversations
CREATE OR REPLACE TEMP VIEW conversations AS
WITH firsts AS (
  SELECT
    conversation_id,
    COUNT(*) AS turns,
    MAX(user_turn) AS user_turns,
    MIN(ts) AS start_ts,
    MAX(ts) AS end_ts,
    MIN(CASE WHEN action <> 'continue' THEN turn_index END) AS escalation_turn,
    MIN(CASE WHEN action = 'handoff' THEN turn_index END) AS handoff_turn,
    MIN(CASE WHEN requested_human THEN turn_index END) AS request_turn,
    MIN(CASE WHEN dead_end THEN turn_index END) AS dead_end_turn,
    MIN(CASE WHEN role = 'agent' THEN turn_index END) AS agent_turn,
    MAX(CASE WHEN action = 'handoff' THEN 2 WHEN action = 'offer_human' THEN 1 ELSE 0 END)
      AS top_rank
  FROM turns
  GROUP BY conversation_id
)
SELECT
  f.conversation_id, f.turns, f.user_turns, f.start_ts, f.end_ts, f.escalation_turn,
  f.handoff_turn, f.request_turn, f.dead_end_turn, f.agent_turn, f.top_rank,
  CASE f.top_rank WHEN 2 THEN 'handoff' WHEN 1 THEN 'offer_human' ELSE 'continue' END
    AS top_action,
  e.user_turn AS escalation_user_turn,
  e.ts AS escalation_ts,
  CASE WHEN f.top_rank > 0 THEN COALESCE(e.primary_reason, 'other') END AS escalation_reason,
  h.user_turn AS handoff_user_turn,
  h.ts AS handoff_ts
FROM firsts f
LEFT JOIN turns e ON e.conversation_id = f.conversation_id AND e.turn_index = f.escalation_turn
LEFT JOIN turns h ON h.conversation_id = f.conversation_id AND h.turn_index = f.handoff_turn

-- name: overview
SELECT
  COUNT(*) AS conversations,
  SUM(turns) AS turns,
  SUM(user_turns) AS user_turns,
  SUM(CASE WHEN top_rank >= 1 THEN 1 ELSE 0 END) AS escalated,
  SUM(CASE WHEN top_rank = 2 THEN 1 ELSE 0 END) AS handed_off,
  SUM(CASE WHEN start_ts IS NULL THEN 1 ELSE 0 END) AS untimed,
  MIN(start_ts) AS first_ts,
  MAX(end_ts) AS last_ts
FROM conversations

-- name: rate_over_time
SELECT bucket, 'action' AS series_kind, top_action AS series, COUNT(*) AS conversations
FROM (SELECT FLOOR((start_ts - $offset) / $bucket) * $bucket + $offset AS bucket, top_action FROM conversations
      WHERE start_ts IS NOT NULL) a
GROUP BY bucket, top_action
UNION ALL
SELECT bucket, 'reason' AS series_kind, escalation_reason AS series, COUNT(*) AS conversations
FROM (SELECT FLOOR((start_ts - $offset) / $bucket) * $bucket + $offset AS bucket, escalation_reason
      FROM conversations WHERE start_ts IS NOT NULL AND top_rank > 0) r
GROUP BY bucket, escalation_reason

-- name: reasons
WITH anywhere AS (
  SELECT r.code, COUNT(DISTINCT r.conversation_id) AS conversations
  FROM reasons r JOIN turns t
    ON t.conversation_id = r.conversation_id AND t.turn_index = r.turn_index
  WHERE t.action <> 'continue'
  GROUP BY r.code
),
first_reasons AS (
  SELECT escalation_reason AS code,
    SUM(CASE WHEN top_rank = 2 THEN 1 ELSE 0 END) AS handed_off,
    SUM(CASE WHEN top_rank = 1 THEN 1 ELSE 0 END) AS offered_only,
    COUNT(*) AS first_reason
  FROM conversations WHERE top_rank > 0
  GROUP BY escalation_reason
)
SELECT COALESCE(a.code, f.code) AS code,
  COALESCE(f.first_reason, 0) AS first_reason,
  COALESCE(f.handed_off, 0) AS handed_off,
  COALESCE(f.offered_only, 0) AS offered_only,
  COALESCE(a.conversations, 0) AS anywhere
FROM anywhere a FULL OUTER JOIN first_reasons f ON a.code = f.code

-- name: preceding
CREATE OR REPLACE TEMP VIEW preceding AS
WITH levels AS (
  SELECT conversation_id, turn_index, loop,
    LAG(loop) OVER (PARTITION BY conversation_id ORDER BY turn_index) AS loop_before
  FROM turns
),
events AS (
  SELECT conversation_id, escalation_turn AS turn_index, 'escalation' AS event
  FROM conversations WHERE escalation_turn IS NOT NULL
  UNION ALL
  SELECT conversation_id, turn_index, 'loop' AS event FROM levels
  WHERE loop >= $loop_onset AND COALESCE(loop_before, 0.0) < $loop_onset
  UNION ALL
  SELECT conversation_id, dead_end_turn AS turn_index, 'dead_end' AS event
  FROM conversations WHERE dead_end_turn IS NOT NULL
),
ranked AS (
  SELECT e.conversation_id, e.event, e.turn_index, b.bot_message, b.text,
    ROW_NUMBER() OVER (
      PARTITION BY e.conversation_id, e.event, e.turn_index ORDER BY b.turn_index DESC
    ) AS nearest
  FROM events e JOIN turns b
    ON b.conversation_id = e.conversation_id AND b.turn_index <= e.turn_index
  WHERE b.role = 'bot' AND b.bot_message IS NOT NULL
)
SELECT conversation_id, event, turn_index, bot_message, text FROM ranked WHERE nearest = 1

-- name: preceding_top
SELECT bot_message, escalation, loop, dead_end, conversations FROM (
  SELECT bot_message,
    SUM(CASE WHEN event = 'escalation' THEN 1 ELSE 0 END) AS escalation,
    SUM(CASE WHEN event = 'loop' THEN 1 ELSE 0 END) AS loop,
    SUM(CASE WHEN event = 'dead_end' THEN 1 ELSE 0 END) AS dead_end,
    COUNT(DISTINCT conversation_id) AS conversations,
    -- Selected in a subquery: Spark cannot ORDER BY an aggregate under a HAVING.
    SUM(CASE WHEN event IN ($events) THEN 1 ELSE 0 END) AS events
  FROM preceding
  GROUP BY bot_message
) x
WHERE events > 0
ORDER BY events DESC, bot_message
LIMIT $top

-- name: preceding_examples
SELECT bot_message, conversation_id, text FROM (
  SELECT bot_message, conversation_id, MIN(text) AS text,
    ROW_NUMBER() OVER (PARTITION BY bot_message ORDER BY conversation_id) AS example
  FROM preceding
  WHERE event IN ($events)
  GROUP BY bot_message, conversation_id
) x
WHERE example <= $examples

-- name: dead_end_kinds
SELECT ev.kind,
  COUNT(*) AS turns,
  COUNT(DISTINCT ev.conversation_id) AS conversations,
  COUNT(DISTINCT CASE WHEN c.top_rank >= 1 THEN ev.conversation_id END) AS escalated,
  COUNT(DISTINCT CASE WHEN c.top_rank = 2 THEN ev.conversation_id END) AS handed_off
FROM evidence ev JOIN conversations c ON c.conversation_id = ev.conversation_id
WHERE ev.detector = 'security_dead_end'
GROUP BY ev.kind

-- name: stress_trajectories
WITH positioned AS (
  SELECT t.stress,
    CASE WHEN c.top_rank > 0 THEN 'escalated' ELSE 'automated' END AS outcome,
    t.user_turn - CASE WHEN c.top_rank > 0 THEN c.escalation_user_turn ELSE c.user_turns END
      AS rel_turn
  FROM turns t JOIN conversations c ON c.conversation_id = t.conversation_id
  WHERE t.role = 'user' AND t.stress IS NOT NULL
    AND (c.top_rank = 0 OR t.turn_index <= c.escalation_turn)
)
SELECT outcome, rel_turn, COUNT(*) AS turns, AVG(stress) AS mean,
  percentile_cont(0.25) WITHIN GROUP (ORDER BY stress) AS p25,
  percentile_cont(0.75) WITHIN GROUP (ORDER BY stress) AS p75
FROM positioned
WHERE rel_turn >= -$window
GROUP BY outcome, rel_turn

-- name: effort
CREATE OR REPLACE TEMP VIEW effort AS
SELECT
  CASE WHEN top_rank > 0 THEN 'escalated' ELSE 'automated' END AS outcome,
  CASE WHEN top_rank > 0 THEN escalation_user_turn ELSE user_turns END AS user_turns,
  CASE WHEN top_rank > 0 THEN escalation_ts - start_ts ELSE end_ts - start_ts END AS seconds
FROM conversations

-- name: effort_summary
SELECT outcome, COUNT(*) AS conversations,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY user_turns) AS median_user_turns,
  percentile_cont(0.9) WITHIN GROUP (ORDER BY user_turns) AS p90_user_turns,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS median_seconds,
  percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds) AS p90_seconds
FROM effort
GROUP BY outcome

-- name: effort_histogram
SELECT outcome, LEAST(user_turns, $cap) AS user_turns, COUNT(*) AS conversations
FROM effort
GROUP BY outcome, LEAST(user_turns, $cap)

-- name: declines
WITH declines AS (
  SELECT conversation_id, user_turn FROM turns WHERE declined_offer
  UNION
  SELECT conversation_id, user_turns AS user_turn FROM outcomes
  WHERE outcome = 'offer_declined' AND user_turns IS NOT NULL
),
offers AS (
  SELECT conversation_id, user_turn, primary_reason FROM turns
  WHERE action = 'offer_human' AND previous_action = 'continue'
),
followed AS (
  SELECT d.conversation_id, d.user_turn,
    MIN(o.user_turn) AS next_offer,
    MIN(CASE WHEN c.handoff_user_turn >= d.user_turn THEN 1 ELSE 0 END) AS handed_off_later
  FROM declines d
  JOIN conversations c ON c.conversation_id = d.conversation_id
  LEFT JOIN offers o ON o.conversation_id = d.conversation_id AND o.user_turn > d.user_turn
  GROUP BY d.conversation_id, d.user_turn
)
SELECT
  (SELECT COUNT(*) FROM offers) AS offers,
  (SELECT COUNT(DISTINCT conversation_id) FROM offers) AS offered_conversations,
  (SELECT COUNT(DISTINCT o.conversation_id) FROM offers o JOIN conversations c
     ON c.conversation_id = o.conversation_id
   WHERE c.handoff_user_turn >= o.user_turn) AS offered_then_handed_off,
  (SELECT COUNT(*) FROM followed) AS declines,
  (SELECT COUNT(DISTINCT conversation_id) FROM followed) AS declined_conversations,
  (SELECT COUNT(*) FROM followed WHERE next_offer IS NOT NULL) AS offered_again,
  (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY next_offer - user_turn) FROM followed
   WHERE next_offer IS NOT NULL) AS median_turns_to_next_offer,
  (SELECT SUM(handed_off_later) FROM followed) AS handed_off_after_decline

-- name: declines_by_reason
WITH declines AS (
  SELECT conversation_id, user_turn FROM turns WHERE declined_offer
  UNION
  SELECT conversation_id, user_turns AS user_turn FROM outcomes
  WHERE outcome = 'offer_declined' AND user_turns IS NOT NULL
),
offered AS (
  SELECT d.conversation_id, d.user_turn, t.primary_reason,
    ROW_NUMBER() OVER (
      PARTITION BY d.conversation_id, d.user_turn ORDER BY t.turn_index DESC
    ) AS latest
  FROM declines d JOIN turns t
    ON t.conversation_id = d.conversation_id AND t.user_turn <= d.user_turn
  WHERE t.action = 'offer_human' AND t.primary_reason IS NOT NULL
)
SELECT primary_reason AS reason, COUNT(*) AS declines FROM offered WHERE latest = 1
GROUP BY primary_reason

-- name: meta_keys
SELECT key, COUNT(DISTINCT value) AS distinct_values, COUNT(DISTINCT conversation_id) AS conversations
FROM meta
GROUP BY key

-- name: meta_breakdown
SELECT m.key, m.value,
  COUNT(*) AS conversations,
  SUM(CASE WHEN c.top_rank >= 1 THEN 1 ELSE 0 END) AS escalated,
  SUM(CASE WHEN c.top_rank = 2 THEN 1 ELSE 0 END) AS handed_off,
  SUM(CASE WHEN c.request_turn IS NOT NULL THEN 1 ELSE 0 END) AS requested_human,
  SUM(CASE WHEN c.dead_end_turn IS NOT NULL THEN 1 ELSE 0 END) AS dead_end
FROM meta m
JOIN conversations c ON c.conversation_id = m.conversation_id
JOIN (SELECT key FROM meta GROUP BY key HAVING COUNT(DISTINCT value) <= $max_values) k
  ON k.key = m.key
GROUP BY m.key, m.value

-- name: meta_reasons
SELECT m.key, m.value, c.escalation_reason AS reason, COUNT(*) AS conversations
FROM meta m
JOIN conversations c ON c.conversation_id = m.conversation_id
JOIN (SELECT key FROM meta GROUP BY key HAVING COUNT(DISTINCT value) <= $max_values) k
  ON k.key = m.key
WHERE c.top_rank > 0
GROUP BY m.key, m.value, c.escalation_reason

-- name: false_alarms
SELECT conversation_id, handoff_turn, reason, trigger_text, retraction_turn,
  user_turns_after, seconds_after, retraction_text
FROM (
  SELECT c.conversation_id, c.handoff_turn, h.primary_reason AS reason, h.text AS trigger_text,
    r.turn_index AS retraction_turn, r.user_turn - c.handoff_user_turn AS user_turns_after,
    r.ts - c.handoff_ts AS seconds_after, r.text AS retraction_text,
    ROW_NUMBER() OVER (PARTITION BY c.conversation_id ORDER BY r.turn_index) AS nth
  FROM conversations c
  JOIN turns h ON h.conversation_id = c.conversation_id AND h.turn_index = c.handoff_turn
  JOIN turns r ON r.conversation_id = c.conversation_id AND r.turn_index > c.handoff_turn
  WHERE r.role = 'user' AND r.resolved
    AND r.user_turn - c.handoff_user_turn <= $window
    AND (c.agent_turn IS NULL OR r.turn_index < c.agent_turn)
) x
WHERE nth = 1

-- name: time_to_human
CREATE OR REPLACE TEMP VIEW time_to_human AS
WITH starts AS (
  SELECT conversation_id, 'request' AS started_by, request_turn AS turn_index
  FROM conversations WHERE request_turn IS NOT NULL
  UNION ALL
  SELECT conversation_id, 'dead_end' AS started_by, dead_end_turn AS turn_index
  FROM conversations WHERE dead_end_turn IS NOT NULL
),
reached AS (
  SELECT s.conversation_id, s.started_by, s.turn_index,
    MIN(CASE WHEN t.action = 'handoff' THEN t.turn_index END) AS handoff_turn,
    MIN(CASE WHEN t.action <> 'continue' THEN t.turn_index END) AS exit_turn
  FROM starts s JOIN turns t
    ON t.conversation_id = s.conversation_id AND t.turn_index >= s.turn_index
  GROUP BY s.conversation_id, s.started_by, s.turn_index
)
SELECT r.conversation_id, r.started_by,
  h.user_turn - s.user_turn AS user_turns,
  h.ts - s.ts AS seconds,
  x.user_turn - s.user_turn AS user_turns_to_offer
FROM reached r
JOIN turns s ON s.conversation_id = r.conversation_id AND s.turn_index = r.turn_index
LEFT JOIN turns h ON h.conversation_id = r.conversation_id AND h.turn_index = r.handoff_turn
LEFT JOIN turns x ON x.conversation_id = r.conversation_id AND x.turn_index = r.exit_turn

-- name: time_to_human_summary
SELECT started_by, COUNT(*) AS conversations,
  SUM(CASE WHEN user_turns IS NOT NULL THEN 1 ELSE 0 END) AS handed_off,
  SUM(CASE WHEN user_turns = 0 THEN 1 ELSE 0 END) AS same_turn,
  SUM(CASE WHEN user_turns_to_offer = 0 THEN 1 ELSE 0 END) AS offered_same_turn,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY user_turns) AS median_user_turns,
  percentile_cont(0.9) WITHIN GROUP (ORDER BY user_turns) AS p90_user_turns,
  MAX(user_turns) AS max_user_turns,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS median_seconds,
  percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds) AS p90_seconds
FROM time_to_human
GROUP BY started_by

-- name: time_to_human_histogram
SELECT started_by, LEAST(user_turns, $cap) AS user_turns, COUNT(*) AS conversations
FROM time_to_human
WHERE user_turns IS NOT NULL
GROUP BY started_by, LEAST(user_turns, $cap)

-- name: time_to_human_slowest
SELECT conversation_id, started_by, user_turns, seconds FROM time_to_human
WHERE user_turns IS NULL OR user_turns > 0
ORDER BY CASE WHEN user_turns IS NULL THEN 1 ELSE 0 END DESC, user_turns DESC,
  conversation_id, started_by
LIMIT $top

-- name: trust_trend
SELECT bucket, detector, COUNT(*) AS user_turns, AVG(level) AS mean,
  SUM(CASE WHEN level >= $present THEN 1 ELSE 0 END) AS present
FROM trust_levels
WHERE ts IS NOT NULL
GROUP BY bucket, detector

-- name: trust_by_phase
SELECT phase, detector, COUNT(*) AS user_turns,
  SUM(CASE WHEN level >= $present THEN 1 ELSE 0 END) AS present
FROM trust_levels
GROUP BY phase, detector

-- name: trust_after_handoff
SELECT COUNT(*) AS handed_off,
  SUM(CASE WHEN after_turns > 0 THEN 1 ELSE 0 END) AS with_turns_after,
  SUM(CASE WHEN relief >= $present OR appreciation >= $present THEN 1 ELSE 0 END) AS relieved
FROM (
  SELECT c.conversation_id,
    -- Turns recorded before trust signals existed have no levels: they say nothing.
    SUM(CASE WHEN t.turn_index > c.handoff_turn AND t.relief IS NOT NULL THEN 1 ELSE 0 END)
      AS after_turns,
    MAX(CASE WHEN t.turn_index > c.handoff_turn AND NOT t.retracted THEN t.relief END) AS relief,
    MAX(CASE WHEN t.turn_index > c.handoff_turn AND NOT t.retracted THEN t.appreciation END)
      AS appreciation
  FROM conversations c
  JOIN (
    -- "never mind, found it" before any agent spoke takes the request back (a false alarm):
    -- its relief is not the handoff working.
    SELECT u.*, u.resolved AND (a.agent_turn IS NULL OR u.turn_index < a.agent_turn) AS retracted
    FROM turns u JOIN conversations a ON a.conversation_id = u.conversation_id
  ) t ON t.conversation_id = c.conversation_id
  WHERE c.handoff_turn IS NOT NULL AND t.role = 'user'
  GROUP BY c.conversation_id
) x

-- name: trust_levels
CREATE OR REPLACE TEMP VIEW trust_levels AS
$unpivoted

-- name: trust_level_of
SELECT t.ts, FLOOR((t.ts - $offset) / $bucket) * $bucket + $offset AS bucket,
  CASE WHEN c.handoff_turn IS NULL THEN 'automated'
       WHEN t.turn_index <= c.handoff_turn THEN 'before_handoff'
       ELSE 'after_handoff' END AS phase,
  '$signal' AS detector, t.$signal AS level
FROM turns t JOIN conversations c ON c.conversation_id = t.conversation_id
WHERE t.role = 'user' AND t.$signal IS NOT NULL

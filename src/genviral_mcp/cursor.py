"""``as_of``: the cursor a job on a schedule passes back as ``changed_since``, and why nothing is
missed between two runs.

A summary's ``as_of`` is the moment the call began (its clock, read before the first request) minus
:data:`AS_OF_MARGIN`, and never earlier than the ``changed_since`` it was given: the cursor never
moves back. A run with ``changed_since = T`` reports each change whose moment is at or after ``T``.

**The moment of each kind of change, and how late it can show.** A change is judged by a moment
Genviral stamps (or the server computes), but it shows in the API a little later; call that delay
its lag:

* a failure (failed, partial, retry): ``last_attempted_at``, stamped when the attempt *starts*; it
  shows when the attempt ends (an upload, a provider's answer): the lag is the attempt's length.
  Without ``last_attempted_at``, the scheduled time: the lag is how late the worker ran;
* a publication: ``published_at``, which Genviral records a moment before the status shows ``posted``;
* a delivery that became overdue: its scheduled time plus the 30-minute grace, computed here from
  data that showed when the post was created, so no lag (a post created already late counts from
  its creation: see :func:`genviral_mcp.analysis.news_moment`);
* an inactive account: the moment of its delivery that failed or fell due, as above.

A skew between Genviral's clock and this server's adds to every lag.

**Why nothing is missed.** Say run *k* began at ``S`` with ``changed_since = T`` and returned
``as_of = max(T, S − M)``. Take a change with moment ``m ≥ T`` that run *k* did not report. Either
it had not shown yet when run *k* read its status (it showed after ``S``, so ``m ≥ S − M`` when its
lag is at most ``M``), or it was stamped after ``S`` (a publication judged against "now"); a change
that moved status while the walks were running is the first case (it shows in its new status after
``S``). Either way ``m ≥ as_of``, and the next run, whose ``changed_since`` is that ``as_of``,
reports it. A change before ``T`` was the previous run's to report, by the same argument. Every
bound is inclusive, so a change at exactly ``as_of`` is reported; one a millisecond earlier was the
previous run's. The price is repeats: what shows within ``M`` before a run's start is reported by
that run and the next; each listed change carries a stable id (its instant, post id and account
id) so an automation can drop them.

That argument needs every walk that can hold news to have read everything: the walks of
``failed``, ``partial``, ``retry``, ``pending``, ``scheduled`` and ``posted`` posts (a post the run
cannot show is read and counted, as a brief: see :mod:`genviral_mcp.survey`). When one failed or a
bound stopped it (page cap, bytes read, time budget, the survey's memory share, a run of posts
created at one instant), ``as_of`` stays at ``changed_since`` and the result says news may be
incomplete; what the walk did not read comes back in a later call. The bounded walk over the
statuses no filter reaches (``deleted``, ``void``, …) does not hold it back: the result says those
posts were not examined. Without ``changed_since`` there is nothing to stay at: the result says
plainly that its ``as_of`` is not a safe cursor.

Not covered (stated in the docs): a lag longer than the margin (an attempt that runs longer, or a
failure without ``last_attempted_at`` recorded long after its scheduled time; it is still reported
as overdue first), a post rescheduled into the past, and an account that stops being active while
nothing of it fails or falls due (it becomes news when something does; ``upcoming`` warns before).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from genviral_mcp.survey import ATTENTION_WALKS, PUBLISHED_WALKS, Survey

#: How far ``as_of`` lies before the call's start: the longest lag a change may have between its
#: stamped moment and showing in the API (an attempt is stamped when it starts).
AS_OF_MARGIN = timedelta(minutes=15)
#: The walks whose posts can hold news: when one of them stops early, ``as_of`` does not move.
NEWS_WALKS: tuple[str, ...] = (*ATTENTION_WALKS, *PUBLISHED_WALKS)


@dataclass(frozen=True)
class Cursor:
    """A result's ``as_of``, and why it did not move forward or is not safe (``None`` when it is)."""

    as_of: datetime
    note: str | None = None


def stopped_news_walks(survey: Survey) -> list[str]:
    """The news-holding walks that failed or stopped before reading every post of their status."""
    return [status for status in NEWS_WALKS if (walk := survey.walk(status)) is None or not walk.complete]


def news_cursor(survey: Survey, changed_since: datetime | None, now: datetime) -> Cursor:
    """``as_of`` for a summary that began at ``now`` (see the module's docstring for why)."""
    stopped = stopped_news_walks(survey)
    moved = now - AS_OF_MARGIN
    if not stopped:
        return Cursor(moved if changed_since is None else max(changed_since, moved))
    walks = ", ".join(stopped) + (" walks" if len(stopped) > 1 else " walk")
    if changed_since is not None:
        return Cursor(
            changed_since,
            f"News may be incomplete: the {walks} stopped early (see incomplete), so as_of stays at "
            "changed_since; a later call reports what this one could not read.",
        )
    return Cursor(
        moved,
        f"as_of is not a safe cursor: the {walks} stopped early (see incomplete), so a call with "
        "changed_since=as_of would miss what it did not read. Keep an earlier cursor, or call again.",
    )

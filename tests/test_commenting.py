"""Commenting through HTTP: htmx and no-JavaScript paths, edits, replies, agreements."""

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from consult.models import (
    Agreement,
    Category,
    Comment,
    CommentKind,
    CommentRevision,
    CommentStatus,
    ModerationMode,
    Stance,
)

from . import factories
from .statements import this_threads_statements

HX = {"HX-Request": "true"}


def _url(round_, key):
    return f"/samrad/{round_.consultation.slug}/omgang/{round_.number}/synpunkter/{key}"


def _post(
    client,
    round_,
    key,
    body="En synpunkt.",
    kind="comment",
    stance="",
    proposed=None,
    submission_key="k1",
    headers=None,
):
    data = {
        f"{key}-kind": kind,
        f"{key}-body": body,
        f"{key}-stance": stance,
        f"{key}-submission_key": submission_key,
    }
    if proposed is not None:
        data[f"{key}-proposed_text"] = proposed
    return client.post(_url(round_, key), data=data, headers=headers or {})


@pytest.fixture
def paragraph(open_round):
    return open_round.document.paragraphs[0]


def test_htmx_post_answers_with_a_fresh_form_and_the_comment_for_the_thread(
    client, auth, session, open_round, paragraph
):
    auth.login()
    _post(client, open_round, paragraph.anchor, body="Den första.", submission_key="k0")
    response = _post(
        client, open_round, paragraph.anchor, body="Bra *förslag*", stance="agree", headers=HX
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    key = paragraph.anchor
    # The sent form is replaced by an empty one with a new submission key...
    assert response.headers["HX-Retarget"] == f"#form-{key}"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert page.lstrip().startswith(f'<form id="form-{key}"')
    assert 'value="k1"' not in page and "<html" not in page
    # ...and, out of band, the thank-you, the new count and the comment at the list's top;
    # not the thread's earlier comments.
    newest = session.scalars(select(Comment).order_by(Comment.id.desc())).first()
    assert re.search(rf'<div id="thread-notice-{key}" hx-swap-oob="true">\s*<p class="notice', page)
    assert re.search(rf'id="thread-title-{key}"[^>]*hx-swap-oob="true">2 ', page)
    assert re.search(
        rf'<ol id="comments-{key}" hx-swap-oob="afterbegin"><li>\s*<article id="c-{newest.id}"',
        page,
    )
    assert "<em>förslag</em>" in page and "Den första." not in page
    trigger = json.loads(response.headers["HX-Trigger"])
    assert f"comments-changed-{paragraph.anchor}" in trigger
    count = client.get(_url(open_round, paragraph.anchor) + "/antal", headers=HX)
    assert ">2 " in count.get_data(as_text=True)


def test_htmx_post_after_its_write_asks_the_database_only_for_the_new_count(
    app, client, auth, session, open_round, paragraph
):
    # In a deadline rush every post gets this answer: a comment just written has no replies,
    # agreements or analysis to look up, and its round and consultation are loaded already.
    auth.login()
    with this_threads_statements(app.extensions["db_engine"]) as seen:
        response = _post(client, open_round, paragraph.anchor, headers=HX)
    assert response.status_code == 200
    written = len(seen) - seen[::-1].index("COMMIT")
    after = [s for s in seen[written:] if s.startswith(("SELECT", "INSERT", "UPDATE"))]
    assert len(after) == 1 and after[0].startswith("SELECT count(*)"), after


def test_no_js_post_redirects_to_the_comment(client, auth, session, open_round, paragraph):
    auth.login()
    response = _post(client, open_round, paragraph.anchor)
    comment = session.scalar(select(Comment))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"{_url(open_round, paragraph.anchor)}#c-{comment.id}"
    )
    page = client.get(_url(open_round, paragraph.anchor)).get_data(as_text=True)
    assert "<!doctype html>" in page and "En synpunkt." in page


def test_section_and_document_comments(client, auth, session, open_round):
    auth.login()
    section = open_round.document.sections[0]
    assert _post(client, open_round, section.anchor, submission_key="s").status_code == 302
    assert _post(client, open_round, "doc", body="Helheten", submission_key="d").status_code == 302
    on_section, on_doc = session.scalars(select(Comment).order_by(Comment.id)).all()
    assert on_section.section_id == section.id and on_section.paragraph_id is None
    assert on_doc.section_id is None and on_doc.paragraph_id is None
    page = client.get(f"/samrad/{open_round.consultation.slug}/").get_data(as_text=True)
    assert f'id="count-{section.anchor}"' in page


def test_comment_records_category_and_organisation_at_time_of_writing(
    client, auth, session, open_round, paragraph
):
    user = auth.login(category=Category.ACADEMIA)
    original = user.organisation.name
    _post(client, open_round, paragraph.anchor)
    user.category = Category.INDIVIDUAL
    user.organisation = None
    session.commit()
    comment = session.scalar(select(Comment))
    assert comment.author_category == Category.ACADEMIA
    assert comment.author_organisation_name == original


def test_proposal_is_shown_as_word_diff(client, auth, session, open_round, paragraph):
    auth.login()
    new_text = paragraph.text.replace("attraktiv", "hållbar och attraktiv")
    response = _post(
        client,
        open_round,
        paragraph.anchor,
        kind="proposal",
        body="",
        proposed=new_text,
        headers=HX,
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "en<ins> hållbar och</ins> attraktiv" in page
    comment = session.scalar(select(Comment))
    assert comment.kind == CommentKind.PROPOSAL and comment.proposed_text == new_text


def test_unchanged_proposal_is_refused(client, auth, session, open_round, paragraph):
    auth.login()
    response = _post(client, open_round, paragraph.anchor, kind="proposal", proposed=paragraph.text)
    assert response.status_code == 422
    assert 'id="' + paragraph.anchor + '-proposed_text-error"' in response.get_data(as_text=True)
    assert session.scalar(select(Comment)) is None


def test_proposal_only_on_paragraphs(client, auth, session, open_round):
    auth.login()
    section = open_round.document.sections[0]
    response = _post(client, open_round, section.anchor, kind="proposal", proposed="Ny text")
    assert response.status_code == 422
    assert session.scalar(select(Comment)) is None


def test_question_has_no_stance(client, auth, session, open_round, paragraph):
    auth.login()
    _post(client, open_round, paragraph.anchor, kind="question", stance="agree", body="Varför?")
    comment = session.scalar(select(Comment))
    assert comment.kind == CommentKind.QUESTION and comment.stance is None


@pytest.mark.parametrize(
    ("body", "message_part"),
    [
        ("", "body-error"),
        ("   \n  ", "body-error"),
        ("x" * 5001, "body-error"),
        ("binär\x00data", "body-error"),
        ("> " * 40 + "djup", "body-error"),
    ],
)
def test_bad_bodies_are_refused_with_message_and_nothing_saved(
    client, auth, session, open_round, paragraph, body, message_part
):
    auth.login()
    response = _post(client, open_round, paragraph.anchor, body=body, headers=HX)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{paragraph.anchor}-{message_part}"' in page
    assert 'aria-invalid="true"' in page
    assert session.scalar(select(Comment)) is None


def test_oversized_text_is_kept_in_the_form(client, auth, open_round, paragraph):
    auth.login()
    body = "ord " * 1300
    response = _post(client, open_round, paragraph.anchor, body=body)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert body.strip() in page
    assert "högst 5000 tecken" in page.lower()


def test_hostile_markup_is_neutralised(client, auth, session, open_round, paragraph):
    auth.login()
    _post(
        client,
        open_round,
        paragraph.anchor,
        body='<script>alert(1)</script> <a href="javascript:x()">a</a> [b](https://ok.se)',
    )
    comment = session.scalar(select(Comment))
    assert "<script" not in comment.body_html and "javascript:" not in comment.body_html.replace(
        "&quot;javascript:", ""
    )
    assert 'href="javascript' not in comment.body_html
    assert 'rel="nofollow noopener"' in comment.body_html
    page = client.get(_url(open_round, paragraph.anchor)).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page


def test_second_click_does_not_duplicate(client, auth, session, open_round, paragraph):
    auth.login()
    first = _post(client, open_round, paragraph.anchor, submission_key="same")
    second = _post(client, open_round, paragraph.anchor, submission_key="same")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert len(session.scalars(select(Comment)).all()) == 1


def test_unknown_target_and_other_rounds_paragraph_are_404(client, auth, session, open_round, now):
    auth.login()
    other = factories.make_round(
        session, opens_at=now.get() - timedelta(days=1), closes_at=now.get() + timedelta(days=1)
    )
    foreign = other.document.paragraphs[0].anchor
    other.document.paragraphs[0].anchor = "p-elsewhere"
    session.commit()
    assert _post(client, open_round, "p-elsewhere").status_code == 404
    assert _post(client, open_round, "nonsense").status_code == 404
    assert client.get(_url(open_round, "s-nope")).status_code == 404
    assert _post(client, open_round, foreign).status_code == 404


def test_anonymous_post_goes_to_login_and_saves_nothing(client, session, open_round, paragraph):
    response = _post(client, open_round, paragraph.anchor)
    assert response.status_code == 302 and "/konto/logga-in" in response.headers["Location"]
    assert session.scalar(select(Comment)) is None


def test_anonymous_thread_invites_login_instead_of_form(client, open_round, paragraph):
    page = client.get(_url(open_round, paragraph.anchor), headers=HX).get_data(as_text=True)
    assert f'id="form-{paragraph.anchor}"' not in page
    assert "/konto/logga-in?next=" in page


def test_pre_moderated_comment_is_pending_and_visible_only_to_author(client, auth, session, now):
    round_ = factories.make_round(
        session,
        opens_at=now.get() - timedelta(days=1),
        closes_at=now.get() + timedelta(days=1),
        moderation=ModerationMode.PRE,
    )
    key = round_.document.paragraphs[0].anchor
    author = auth.login()
    response = _post(client, round_, key, body="Väntar", headers=HX)
    assert session.scalar(select(Comment)).status == CommentStatus.PENDING
    assert "Väntar" in response.get_data(as_text=True)
    client.post("/konto/logga-ut")
    assert "Väntar" not in client.get(_url(round_, key)).get_data(as_text=True)
    auth.login(author)
    assert "Väntar" in client.get(_url(round_, key)).get_data(as_text=True)


def _comment(session, round_, author=None, **kwargs):
    author = author or factories.make_user(session)
    return factories.make_comment(
        session, round_, author, paragraph=round_.document.paragraphs[0], **kwargs
    )


def test_thread_sorts_newest_or_most_agreed(client, session, open_round, now):
    old = _comment(
        session, open_round, body="Gammal men populär", created_at=now.get() - timedelta(days=3)
    )
    _comment(session, open_round, body="Ny", created_at=now.get() - timedelta(days=1))
    old.agreement_count = 9
    session.commit()
    url = _url(open_round, open_round.document.paragraphs[0].anchor)
    newest = client.get(url).get_data(as_text=True)
    agreed = client.get(url + "?sort=agreed").get_data(as_text=True)
    assert newest.index("Ny</p>") < newest.index("Gammal men populär")
    assert agreed.index("Gammal men populär") < agreed.index("Ny</p>")


def test_agreement_toggles_once_per_person(client, auth, session, open_round):
    comment = _comment(session, open_round)
    auth.login()
    first = client.post(f"/synpunkter/{comment.id}/instam", headers=HX)
    assert 'aria-pressed="true"' in first.get_data(as_text=True)
    assert "(1)" in first.get_data(as_text=True)
    second = client.post(f"/synpunkter/{comment.id}/instam", headers=HX)
    assert 'aria-pressed="false"' in second.get_data(as_text=True)
    session.expire_all()
    assert session.get(Comment, comment.id).agreement_count == 0
    assert session.scalar(select(Agreement)) is None


def test_cannot_agree_with_own_comment(client, auth, session, open_round):
    user = auth.login()
    comment = _comment(session, open_round, author=user)
    assert client.post(f"/synpunkter/{comment.id}/instam").status_code == 403


def test_reply_page_form_posts_normally_as_its_thread_is_not_on_the_page(
    client, auth, session, open_round
):
    parent = _comment(session, open_round)
    auth.login()
    page = client.get(f"/synpunkter/{parent.id}/svara").get_data(as_text=True)
    assert f'id="c-{parent.id}"' not in page  # the htmx target of the inline form
    assert re.search(r"<div hx-disable>\s*<form id=\"reply-form-", page)


def test_reply_is_one_level_deep(client, auth, session, open_round):
    parent = _comment(session, open_round)
    auth.login()
    response = client.post(
        f"/synpunkter/{parent.id}/svara",
        data={f"reply-{parent.id}-body": "Svar", f"reply-{parent.id}-submission_key": "r1"},
        headers=HX,
    )
    assert response.status_code == 200
    assert f'id="c-{parent.id}"' in response.get_data(as_text=True)
    reply = session.scalar(select(Comment).where(Comment.parent_id == parent.id))
    response = client.post(
        f"/synpunkter/{reply.id}/svara",
        data={f"reply-{reply.id}-body": "Svar på svar", f"reply-{reply.id}-submission_key": "r2"},
    )
    assert response.status_code == 302
    nested = session.scalar(select(Comment).where(Comment.body == "Svar på svar"))
    assert nested.parent_id == parent.id and nested.paragraph_id == parent.paragraph_id


def test_edit_keeps_history(client, auth, session, open_round, now):
    user = auth.login()
    comment = _comment(session, open_round, author=user, body="Första versionen")
    now.set(now.get() + timedelta(minutes=5))
    prefix = f"edit-{comment.id}"
    response = client.post(
        f"/synpunkter/{comment.id}/redigera",
        data={
            f"{prefix}-kind": "comment",
            f"{prefix}-stance": "disagree",
            f"{prefix}-body": "Andra versionen",
        },
        headers=HX,
    )
    assert response.status_code == 200
    assert "Andra versionen" in response.get_data(as_text=True)
    session.expire_all()
    edited = session.get(Comment, comment.id)
    assert edited.body == "Andra versionen" and edited.stance == Stance.DISAGREE
    revision = session.scalar(select(CommentRevision))
    assert revision.body == "Första versionen" and revision.stance == Stance.AGREE


def test_edit_form_is_prefilled(client, auth, session, open_round):
    user = auth.login()
    comment = _comment(session, open_round, author=user, body="Min text")
    page = client.get(f"/synpunkter/{comment.id}/redigera", headers=HX).get_data(as_text=True)
    assert "Min text</textarea>" in page
    assert f'<input checked id="edit-{comment.id}-stance-1"' in page


def test_withdraw_hides_but_keeps(client, auth, session, open_round):
    user = auth.login()
    comment = _comment(session, open_round, author=user, body="Tar tillbaka")
    response = client.post(f"/synpunkter/{comment.id}/dra-tillbaka", headers=HX)
    assert response.status_code == 200
    assert "HX-Trigger" in response.headers
    session.expire_all()
    assert session.get(Comment, comment.id).status == CommentStatus.WITHDRAWN
    client.post("/konto/logga-ut")
    page = client.get(_url(open_round, open_round.document.paragraphs[0].anchor)).get_data(
        as_text=True
    )
    assert "Tar tillbaka" not in page


def test_withdrawn_comment_cannot_be_edited_or_withdrawn_again(client, auth, session, open_round):
    user = auth.login()
    comment = _comment(session, open_round, author=user, status=CommentStatus.WITHDRAWN)
    assert client.get(f"/synpunkter/{comment.id}/redigera").status_code == 404
    assert client.post(f"/synpunkter/{comment.id}/dra-tillbaka").status_code == 404


def test_someone_elses_comment_cannot_be_edited_or_withdrawn(client, auth, session, open_round):
    comment = _comment(session, open_round)
    auth.login()
    assert client.get(f"/synpunkter/{comment.id}/redigera").status_code == 403
    assert client.post(f"/synpunkter/{comment.id}/redigera", data={}).status_code == 403
    assert client.post(f"/synpunkter/{comment.id}/dra-tillbaka").status_code == 403
    session.expire_all()
    assert session.get(Comment, comment.id).status == CommentStatus.PUBLISHED


def test_after_closing_edit_withdraw_reply_and_agree_are_refused(
    client, auth, session, open_round, now
):
    user = auth.login()
    own = _comment(session, open_round, author=user, body="Min")
    other = _comment(session, open_round, body="Annans")
    now.set(open_round.closes_at)
    prefix = f"edit-{own.id}"
    edit = client.post(
        f"/synpunkter/{own.id}/redigera",
        data={f"{prefix}-kind": "comment", f"{prefix}-body": "Ändrad"},
        headers=HX,
    )
    assert edit.status_code == 409
    assert client.post(f"/synpunkter/{own.id}/dra-tillbaka", headers=HX).status_code == 409
    assert client.post(f"/synpunkter/{other.id}/instam", headers=HX).status_code == 409
    reply = client.post(
        f"/synpunkter/{other.id}/svara",
        data={f"reply-{other.id}-body": "Sent", f"reply-{other.id}-submission_key": "z"},
    )
    # Without JavaScript too the refused reply is given back with the reason, not lost.
    assert reply.status_code == 409
    assert "Sent" in reply.get_data(as_text=True) and "notice-error" in reply.get_data(as_text=True)
    session.expire_all()
    assert session.get(Comment, own.id).body == "Min"
    assert session.get(Comment, own.id).status == CommentStatus.PUBLISHED
    assert session.scalar(select(Comment).where(Comment.body == "Sent")) is None
    page = client.get(_url(open_round, open_round.document.paragraphs[0].anchor)).get_data(
        as_text=True
    )
    assert "/redigera" not in page and "/svara" not in page


def test_hidden_and_rejected_comments_are_not_shown_or_reachable(client, auth, session, open_round):
    hidden = _comment(session, open_round, body="Dold text", status=CommentStatus.HIDDEN)
    auth.login()
    assert client.get(f"/synpunkter/{hidden.id}", headers=HX).status_code == 404
    assert client.post(f"/synpunkter/{hidden.id}/instam").status_code == 404
    assert client.post(f"/synpunkter/{hidden.id}/svara", data={}).status_code == 404


def test_refused_htmx_reply_replaces_only_the_reply_form(client, auth, session, open_round):
    parent = _comment(session, open_round)
    auth.login()
    response = client.post(
        f"/synpunkter/{parent.id}/svara",
        data={f"reply-{parent.id}-body": "", f"reply-{parent.id}-submission_key": "r"},
        headers=HX,
    )
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == f"#reply-form-{parent.id}"
    assert f'id="reply-{parent.id}-body-error"' in response.get_data(as_text=True)


def test_edit_form_is_not_offered_after_closing(client, auth, session, open_round, now):
    user = auth.login()
    own = _comment(session, open_round, author=user)
    now.set(open_round.closes_at + timedelta(seconds=1))
    response = client.get(f"/synpunkter/{own.id}/redigera")
    assert response.status_code == 302
    assert "stängd" in client.get(response.headers["Location"], follow_redirects=True).get_data(
        as_text=True
    )


# Fixes pinned by an earlier review (moved here from test_review_fixes.py)


def test_editing_in_pre_moderated_round_sends_the_comment_back_to_review(
    client, auth, session, now
):
    round_ = factories.make_round(
        session,
        opens_at=now.get() - timedelta(days=1),
        closes_at=now.get() + timedelta(days=1),
        moderation=ModerationMode.PRE,
    )
    user = auth.login()
    comment = factories.make_comment(session, round_, user, paragraph=round_.document.paragraphs[0])
    prefix = f"edit-{comment.id}"
    client.post(
        f"/synpunkter/{comment.id}/redigera",
        data={f"{prefix}-kind": "comment", f"{prefix}-body": "Något helt annat"},
    )
    session.expire_all()
    assert session.get(Comment, comment.id).status == CommentStatus.PENDING


def test_editing_a_section_comment_offers_no_proposal(client, auth, session, open_round):
    user = auth.login()
    comment = factories.make_comment(
        session, open_round, user, section=open_round.document.sections[0]
    )
    page = client.get(f"/synpunkter/{comment.id}/redigera").get_data(as_text=True)
    assert 'value="proposal"' not in page


def test_refused_agreement_and_reply_replace_the_whole_comment(
    client, auth, session, open_round, now
):
    other = factories.make_comment(
        session,
        open_round,
        factories.make_user(session),
        paragraph=open_round.document.paragraphs[0],
    )
    auth.login()
    now.set(open_round.closes_at)
    for response in (
        client.post(f"/synpunkter/{other.id}/instam", headers=HX),
        client.get(f"/synpunkter/{other.id}/svara", headers=HX),
        client.post(
            f"/synpunkter/{other.id}/svara",
            data={f"reply-{other.id}-body": "Sent svar", f"reply-{other.id}-submission_key": "k"},
            headers=HX,
        ),
    ):
        assert response.status_code == 409
        assert response.headers["HX-Retarget"] == f"#c-{other.id}"
        assert response.headers["HX-Reswap"] == "outerHTML"
        page = response.get_data(as_text=True)
        assert page.count(f'id="c-{other.id}"') == 1
    assert "Sent svar" in page  # the unsent reply is handed back


def test_agreement_count_is_the_number_of_agreements(client, auth, session, open_round):
    comment = factories.make_comment(session, open_round, factories.make_user(session))
    comment.agreement_count = 7  # a stale count is corrected by the next toggle
    session.commit()
    auth.login()
    client.post(f"/synpunkter/{comment.id}/instam")
    session.expire_all()
    rows = session.scalars(select(Agreement).where(Agreement.comment_id == comment.id)).all()
    assert session.get(Comment, comment.id).agreement_count == len(rows) == 1


def test_overlong_reply_key_is_refused_not_a_crash(client, auth, session, open_round):
    parent = factories.make_comment(session, open_round, factories.make_user(session))
    auth.login()
    response = client.post(
        f"/synpunkter/{parent.id}/svara",
        data={f"reply-{parent.id}-body": "Svar", f"reply-{parent.id}-submission_key": "x" * 65},
    )
    assert response.status_code == 422
    assert session.scalar(select(Comment).where(Comment.parent_id == parent.id)) is None


def test_reply_to_a_reply_of_a_withdrawn_comment_is_refused(client, auth, session, open_round):
    author = factories.make_user(session)
    parent = factories.make_comment(session, open_round, author, status=CommentStatus.WITHDRAWN)
    child = factories.make_comment(session, open_round, factories.make_user(session), parent=parent)
    auth.login()
    response = client.post(
        f"/synpunkter/{child.id}/svara",
        data={f"reply-{child.id}-body": "Svar", f"reply-{child.id}-submission_key": "k"},
    )
    assert response.status_code == 404


def test_late_post_without_js_shows_the_message_once(client, auth, open_round, now):
    auth.login()
    key = open_round.document.paragraphs[0].anchor
    now.set(open_round.closes_at)
    page = client.post(
        _url(open_round, key),
        data={f"{key}-kind": "comment", f"{key}-body": "Sent", f"{key}-submission_key": "k"},
    ).get_data(as_text=True)
    assert "flash-error" not in page and page.count("notice-error") == 1


def test_an_unconfirmed_person_cannot_agree_and_is_offered_the_link(
    client, auth, session, open_round
):
    comment = _comment(session, open_round)
    auth.login(confirmed=False)
    refused = client.post(f"/synpunkter/{comment.id}/instam", headers=HX)
    assert refused.status_code == 409
    fragment = refused.get_data(as_text=True)
    assert "Bekräfta din e-postadress innan du instämmer i eller anmäler" in fragment
    assert "/konto/skicka-lanken-igen" in fragment
    plain = client.post(f"/synpunkter/{comment.id}/instam", follow_redirects=True)
    page = plain.get_data(as_text=True)
    flash_at = page.index('class="flash flash-error">Bekräfta din e-postadress innan')
    assert "/konto/skicka-lanken-igen" in page[flash_at : flash_at + 600]
    session.expire_all()
    assert session.get(Comment, comment.id).agreement_count == 0
    assert session.scalar(select(Agreement)) is None

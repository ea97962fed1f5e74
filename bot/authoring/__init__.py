"""Turning articles into packs: fetching a page, finding its text, drafting facts, reviewing the draft.

Uses the pack format and relation vocabulary from ``bot.trivia``; ``bot.trivia`` never imports this.
"""

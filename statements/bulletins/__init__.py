"""舆情专报 / 续报: gathered from the incident record, written as DOCX and PDF, numbered and sent."""

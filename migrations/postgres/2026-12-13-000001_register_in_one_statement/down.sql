DROP FUNCTION convene_register(jsonb);
DROP FUNCTION convene_resend_link(jsonb, text);

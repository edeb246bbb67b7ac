DROP FUNCTION convene_check_in(jsonb);

-- Synthetic leads for the scale measurements (bench/README.md), written
-- server-side:
--   psql -v n=400000 -v terr=DE -v seed=0.42 -v deleted=0.02 -f bench/seed_leads.sql
-- Names come from short word lists with skewed picks, so thousands of leads
-- share a name and most share its words: the hard case for trigram
-- lookups. Cities are skewed the same way (the first holds ~8 %), postal
-- codes cluster within their city, leads without a website carry a
-- free-mail domain, and ids are md5(territory || n)::uuid, so a pgbench
-- script can address lead n without a lookup.
SELECT setseed(:seed);
CREATE TEMP TABLE w AS SELECT
 ARRAY['restaurant','gasthaus','gasthof','cafe','hotel','bistro','pizzeria','kantine','catering','backerei','metzgerei','brauhaus','landgasthof','trattoria','imbiss','weinstube','hotel restaurant','ristorante','bierhaus','konditorei','feinkost','kuche','grill','steakhouse','wirtshaus'] AS pre,
 ARRAY['zur linde','zum adler','zur sonne','zum lowen','zur post','zum hirsch','zur krone','zum ochsen','zum schwanen','zum baren','am markt','am see','am park','muller','schmidt','schneider','fischer','weber','meyer','wagner','becker','schulz','hoffmann','schafer','koch','bauer','richter','klein','wolf','schroder','neumann','schwarz','zimmermann','braun','kruger','hofmann','hartmann','lange','schmitt','werner','schmitz','krause','meier','lehmann','schmid','schulze','maier','kohler','herrmann','konig','walter','mayer','huber','kaiser','fuchs','peters','lang','scholz','moller','weiss','jung','hahn','schubert','vogel','friedrich','keller','gunther','frank','berger','winkler','roth','beck','lorenz','baumann','franke','albrecht','schuster','simon','ludwig','bohm','winter','kraus','martin','schumacher','kramer','vogt','stein','jager','otto','sommer','gross','seidel','heinrich','brandt','haas','schreiber','graf','schulte','dietrich','ziegler','kuhn','kuhl','pohl','engel','horn','busch','bergmann','thomas','voigt','sauer','arnold','wolff','pfeiffer','bella italia','da mario','la piazza','el greco','olympia','akropolis','sushi bar','golden dragon','asia wok','friends','heimat','alte muhle','eiche','tanne','rose','stern','blume','sonnenhof','lindenhof'] AS core,
 ARRAY['nord','sud','ost','west','am bahnhof','im zentrum','2','ii','am rathaus','zum markt','express','gourmet','deluxe','und partner','event','service','lounge','bar','stuben','garten'] AS suf,
 ARRAY['gmail.com','web.de','t-online.de','gmx.de','outlook.com','yahoo.de'] AS freemail,
 ARRAY['berlin','hamburg','munchen','koln','frankfurt','stuttgart','dusseldorf','leipzig','dortmund','essen','bremen','dresden','hannover','nurnberg','duisburg','bochum','wuppertal','bielefeld','bonn','munster','mannheim','karlsruhe','augsburg','wiesbaden','monchengladbach','gelsenkirchen','aachen','braunschweig','kiel','chemnitz','halle','magdeburg','freiburg','krefeld','mainz','lubeck','erfurt','oberhausen','rostock','kassel','hagen','potsdam','saarbrucken','hamm','ludwigshafen','oldenburg','mulheim','osnabruck','leverkusen','darmstadt','heidelberg','solingen','herne','regensburg','neuss','paderborn','ingolstadt','offenbach','furth','wurzburg','ulm','heilbronn','pforzheim','wolfsburg','gottingen','bottrop','reutlingen','koblenz','bremerhaven','recklinghausen','erlangen','bergisch gladbach','remscheid','jena','trier','salzgitter','moers','siegen','hildesheim','cottbus','gutersloh','kaiserslautern','witten','hanau','schwerin','gera','esslingen','ludwigsburg','iserlohn','duren','tubingen','zwickau','flensburg','giessen','ratingen','lunen','villingen','konstanz','marl','worms','velbert','minden','dessau','neumunster','norderstedt','delmenhorst','bamberg','viersen','marburg','rheine','gladbeck','troisdorf','wilhelmshaven','bayreuth','celle','landshut','dorsten','luneburg','castrop','arnsberg','detmold','aschaffenburg','brandenburg','bocholt','lippstadt','kempten','fulda','aalen','dinslaken','herford','rosenheim','neuwied','weimar','sindelfingen','kerpen','friedrichshafen','plauen','goppingen','grevenbroich','stralsund','greifswald','offenburg','garbsen','wesel','hurth','hameln','unna','euskirchen','frankenthal','langenfeld','stade'] AS city;

INSERT INTO leads (id, company_name, contact_person, email, phone, website, street, postal_code, city, country_code, territory,
  business_type, source, status, owner_user_id, collaborator_user_ids, registered_at, last_activity_at,
  email_normalized, company_name_normalized, phone_e164, website_domain, created_at, created_by, updated_at, updated_by)
SELECT md5(:'terr' || g.i)::uuid, initcap(g.name) || ' GmbH', 'Kontakt ' || g.i, g.email, g.phone,
  CASE WHEN g.site IS NOT NULL THEN 'https://www.' || g.site END, 'Hauptstr. ' || (g.i % 200), g.postal, initcap(g.city),
  :'terr', :'terr', 'RESTAURANT', 'MESSE',
  CASE WHEN g.r1 < :deleted THEN 'DELETED' WHEN g.r1 < 0.5 THEN 'REGISTERED' WHEN g.r1 < 0.8 THEN 'ACTIVE'
       WHEN g.r1 < 0.9 THEN 'QUALIFIED' ELSE 'LOST' END,
  'rep' || lpad((floor(random()^2 * 200))::int::text, 3, '0'),
  CASE WHEN g.r1 > 0.9 THEN ARRAY['rep' || lpad((floor(random() * 200))::int::text, 3, '0')] ELSE '{}' END,
  g.created, CASE WHEN g.r1 > 0.3 THEN g.created + interval '3 days' END,
  g.email, g.name, g.phone, coalesce(g.site, CASE WHEN g.email IS NOT NULL THEN g.mail END), g.created, 'seed', g.created, 'seed'
FROM (
  SELECT i, name, city, postal, site, mail, r1, created,
    CASE WHEN random() < 0.8 THEN 'info.' || i || '.' || lower(:'terr') || '@' || coalesce(site, mail) END AS email,
    CASE WHEN random() < 0.7 THEN '+' || (CASE :'terr' WHEN 'DE' THEN 49 WHEN 'AT' THEN 43 ELSE 41 END)::text
      || (3000000000 + i)::text END AS phone
  FROM (
    SELECT i, name, city,
      lpad((10000 + ci * 550 + floor(random()^2 * (5 + 180 * (1 - ci / 160.0)^3)))::int::text, 5, '0') AS postal,
      CASE WHEN r2 < 0.6 THEN replace(name, ' ', '-') || '-' || (i % 9973) || '.de'
           WHEN r2 < 0.7 THEN 'kette' || floor(random() * 50)::int || '.de' END AS site,
      freemail[1 + floor(random()^1.5 * array_length(freemail, 1))::int] AS mail,
      random() AS r1, now() - random() * interval '1000 days' AS created
    FROM (
      SELECT i, random() AS r2, w.freemail,
        w.pre[1 + floor(random()^2 * array_length(w.pre, 1))::int] || ' ' || w.core[1 + floor(random()^1.5 * array_length(w.core, 1))::int]
          || CASE WHEN random() < 0.5 THEN ' ' || w.suf[1 + floor(random() * array_length(w.suf, 1))::int] ELSE '' END AS name,
        c.ci, w.city[1 + c.ci] AS city
      FROM w, generate_series(1, :n) i,
        LATERAL (SELECT floor(random()^2 * array_length(w.city, 1))::int + i * 0 AS ci) c
    ) a
  ) b
) g;
DROP TABLE w;

import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { localizedLibrary, searchArticles } from "~/help/articles.server";
import { metaT } from "~/i18n/meta";
import { HelpListPage } from "~/ui/help-pages";

export const meta: MetaFunction<typeof loader> = ({ data, matches }) => {
  const t = metaT(matches);
  return [{ title: data?.q ? t("help:meta.search", { q: data.q }) : t("help:meta.list") }];
};

export async function loader({ request, context }: LoaderFunctionArgs) {
  // The page's language picks the articles and so what the search matches (issue 16).
  const library = localizedLibrary(context.locale, (details, message) => context.services.logger.warn(details, message));
  const q = (new URL(request.url).searchParams.get("q") ?? "").trim().slice(0, 200);
  const brief = ({ slug, title, summary, lang }: { slug: string; title: string; summary: string; lang: string }) => ({ slug, title, summary, lang });
  return {
    q,
    articles: library.articles.map(brief),
    results: q ? searchArticles(library, q).map((a) => brief(a as (typeof library.articles)[number])) : null,
  };
}

export default function Help() {
  const { q, articles, results } = useLoaderData<typeof loader>();
  return <HelpListPage q={q} articles={articles} results={results} />;
}

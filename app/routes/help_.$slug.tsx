import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { SLUG, fillPlaceholders, localizedLibrary } from "~/help/articles.server";
import { metaT } from "~/i18n/meta";
import { HelpArticlePage, HelpNotFoundPage } from "~/ui/help-pages";

export const meta: MetaFunction<typeof loader> = ({ data, matches }) => {
  const t = metaT(matches);
  return [{ title: data?.article ? t("help:meta.article", { title: data.article.title }) : t("help:meta.notFound") }];
};

export async function loader({ params, context }: LoaderFunctionArgs) {
  const slug = params.slug ?? "";
  // The slug names a file: anything but [a-z0-9-] (a dot, a slash) is no article, before any look-up.
  const library = SLUG.test(slug) ? localizedLibrary(context.locale, (details, message) => context.services.logger.warn(details, message)) : null;
  const found = library?.bySlug.get(slug);
  if (!library || !found) return data({ article: null }, { status: 404 });
  const brief = (s: string) => {
    const a = library.bySlug.get(s)!;
    return { slug: a.slug, title: a.title, summary: a.summary, lang: a.lang };
  };
  return {
    article: {
      slug: found.slug,
      title: found.title,
      summary: found.summary,
      lang: found.lang,
      html: fillPlaceholders(found.html, { site: context.services.config.appOrigin, app: context.services.config.appName }),
      related: found.related.map(brief),
    },
  };
}

export default function HelpArticle() {
  const { article } = useLoaderData<typeof loader>();
  return article ? <HelpArticlePage article={article} /> : <HelpNotFoundPage />;
}

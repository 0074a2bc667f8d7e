"""The registry: the README's table of supported estimators is the one the registry renders."""

import pathlib

import glassbox.compile as gbc
from glassbox.compile.registry import CONVERTERS, load_converters

README = pathlib.Path(gbc.__file__).parent / "README.md"
START, END = "<!-- operators:start -->", "<!-- operators:end -->"


def test_readme_table_equals_the_registry():
    text = README.read_text(encoding="utf-8")
    table = text[text.index(START) + len(START) : text.index(END)].strip("\n") + "\n"
    regenerate = "python -c 'import glassbox.compile as c; print(c.operator_table())'"
    assert table == gbc.operator_table(), f"paste the output of: {regenerate}"


def test_every_operator_of_the_issue_is_registered():
    load_converters()
    required = """LinearRegression LogisticRegression Ridge Lasso ElasticNet SGDClassifier LinearSVC LinearSVR
    DecisionTreeClassifier DecisionTreeRegressor RandomForestClassifier RandomForestRegressor ExtraTreesClassifier
    ExtraTreesRegressor GradientBoostingClassifier GradientBoostingRegressor HistGradientBoostingClassifier
    HistGradientBoostingRegressor IsolationForest KNeighborsClassifier KNeighborsRegressor GaussianNB BernoulliNB
    MultinomialNB MLPClassifier MLPRegressor KMeans StandardScaler MinMaxScaler MaxAbsScaler RobustScaler Normalizer
    Binarizer OneHotEncoder OrdinalEncoder SimpleImputer PolynomialFeatures PCA TruncatedSVD SelectKBest
    VarianceThreshold Pipeline ColumnTransformer""".split()
    assert not set(required) - set(CONVERTERS)
    assert gbc.supported_names() == sorted(CONVERTERS)

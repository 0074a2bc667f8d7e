"""The model zoo: ready-made networks built from glassbox.nn."""

from glassbox.models.alexnet import AlexNet, AlexNet2012, alexnet
from glassbox.models.digits_cnn import DigitsCNN
from glassbox.models.gpt import GPT, GPTConfig
from glassbox.models.lenet import LeNet, LeNet5
from glassbox.models.mlp import MLP
from glassbox.models.predict import predict, predict_proba
from glassbox.models.seq2seq import Seq2Seq
from glassbox.models.summary import summary
from glassbox.models.transfer import freeze, parameter_groups, replace_head, unfreeze
from glassbox.models.transformer_translator import TransformerTranslator
from glassbox.models.vgg import VGG, VGG11, VGG16, vgg11, vgg11_bn, vgg16, vgg16_bn
